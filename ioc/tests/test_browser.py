"""Acceptance in a real browser: headless Chromium against the live server.

One browser for the module. With IOC_SCREENSHOTS=1 the run also writes docs/img/home.png,
docs/img/ioc-home.png and their 360 px phone versions (otherwise nothing on disk changes).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ioc.demo.accounts import DEMO_USERS, DemoUser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = os.environ.get("IOC_SCREENSHOTS") == "1"
IMG_DIR = Path(settings.BASE_DIR) / "docs" / "img"
STAFF = [u for u in DEMO_USERS if not u.citizen]


@pytest.fixture(scope="module")
def _chromium() -> Iterator[dict[str, Any]]:
    """Holds the one browser of the module, started by the first test that needs it."""
    holder: dict[str, Any] = {}
    # Playwright's sync API keeps an event loop running in this thread, which makes Django's
    # ORM refuse to run here (the test's own setup and teardown); they are not async code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield holder
    if "browser" in holder:
        holder["browser"].close()
        holder["playwright"].stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(chromium_path: str, _chromium: dict[str, Any]) -> Any:
    if "browser" not in _chromium:
        from playwright.sync_api import sync_playwright

        _chromium["playwright"] = sync_playwright().start()
        _chromium["browser"] = _chromium["playwright"].chromium.launch(
            executable_path=chromium_path, headless=True, args=LAUNCH_ARGS
        )
    return _chromium["browser"]


@pytest.fixture
def province(transactional_db: Any, make_user: Any) -> dict[str, Any]:
    """The area, its sectors and agencies, a few open events, and the demo users."""
    from ioc.accounts.choices import AccountKind
    from ioc.core.models import AdministrativeUnit, Agency, Sector
    from ioc.operations.models import Event

    try:
        from ioc.demo.province import SECTORS
    except ImportError:  # pragma: no cover - the demo module is optional here
        SECTORS = [("y-te", "Y tế", "Health", ""), ("giao-thong", "Giao thông", "Transport", "")]

    area = AdministrativeUnit.objects.create(
        code=settings.IOC_AREA[0], name="Tỉnh Bình Dương", level=1, kind="tỉnh", in_area=True
    )
    ward = AdministrativeUnit.objects.create(
        code="25747", name="Phường Thủ Dầu Một", level=3, kind="phường", parent=area, in_area=True
    )
    sectors = {
        code: Sector.objects.create(code=code, name=name, name_en=en, order=i)
        for i, (code, name, en, *_rest) in enumerate(SECTORS)
    }
    health = Agency.objects.create(
        code="so-y-te", name="Sở Y tế", name_en="Department of Health", kind="department", unit=area
    )
    health.sectors.add(sectors["y-te"])
    Agency.objects.create(
        code="ubnd-phuong-thu-dau-mot", name="UBND phường Thủ Dầu Một", kind="commune", unit=ward
    )
    now = timezone.now()
    for minutes, severity, headline in [
        (12, "severe", "Trạm quan trắc nước sông Sài Gòn chưa gửi dữ liệu 2 giờ"),
        (47, "moderate", "Camera ngã tư Phú Cường mất tín hiệu"),
        (95, "minor", "Phản ánh PA-2026-0142 sắp quá hạn xử lý"),
    ]:
        Event.objects.create(
            source="demo",
            category="late-data",
            severity=severity,
            occurred_at=now - dt.timedelta(minutes=minutes),
            headline=headline,
            unit=ward,
        )
    users = {}
    for demo in DEMO_USERS:
        # as `ioc demo` does: given name in first_name, family and middle names in last_name
        family, _, given = demo.full_name.rpartition(" ")
        role = demo.role.value if demo.role else ""
        users[demo.username] = make_user(
            demo.username,
            roles=[role] if role else [],
            scope_all=demo.scope_all,
            password=demo.password,
            first_name=given,
            last_name=family,
            is_staff=role in {"system_admin", "data_engineer", "sector_officer"},
            is_superuser=role == "system_admin",
            kind=AccountKind.CITIZEN if demo.citizen else AccountKind.STAFF,
        )
    cache.clear()  # the area name is cached
    return {"users": users}


@pytest.fixture
def page(browser: Any, live_server: Any, province: dict[str, Any]) -> Iterator[Any]:
    # A Vietnamese operator's browser. (The site is Vietnamese by default, but Django's
    # LocaleMiddleware honours Accept-Language, so an English browser would get English.)
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", timezone_id="Asia/Ho_Chi_Minh", viewport=DESKTOP
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


def log_in(page: Any, live_server: Any, user: DemoUser) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.password)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/ioc/")


def log_out(page: Any, live_server: Any) -> None:
    page.click(".usermenu > summary")
    page.click(".usermenu-logout button")
    page.wait_for_url(f"{live_server.url}/")


def no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_home_is_vietnamese_and_styled(page: Any) -> None:
    page.goto("/")
    assert page.get_attribute("html", "lang") == "vi"
    assert page.locator(".chips li").first.inner_text() == "Y tế"
    assert page.locator("h1").inner_text() == "Tỉnh Bình Dương"
    # the bundle is built and loaded: the palette's variables are there
    assert page.evaluate("getComputedStyle(document.body).getPropertyValue('--ink')").strip()
    assert page.evaluate("typeof window.htmx") == "object"
    assert no_horizontal_scroll(page)
    if SCREENSHOTS:
        IMG_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG_DIR / "home.png"), full_page=True)


def test_keyboard_reaches_the_skip_link_then_the_content(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switch_without_script(browser: Any, live_server: Any, province: Any) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/feedback/")
    page.click("button[name=language][value=en]")
    page.wait_for_url(f"{live_server.url}/feedback/")
    assert page.get_attribute("html", "lang") == "en"
    page.click("button[name=language][value=vi]")
    assert page.get_attribute("html", "lang") == "vi"
    context.close()


def test_every_staff_user_logs_in_lands_on_the_ioc_and_logs_out(
    page: Any, live_server: Any, province: dict[str, Any]
) -> None:
    for user in STAFF:
        log_in(page, live_server, user)
        assert page.locator(".usermenu-name").inner_text() == user.full_name, user.username
        assert user.full_name in page.locator("h1").inner_text()
        admin_link = page.locator(".mainnav a[href='/admin/']")
        is_staff = province["users"][user.username].is_staff
        assert admin_link.count() == (1 if is_staff else 0), user.username
        log_out(page, live_server)
        assert page.locator(".usermenu").count() == 0
        page.goto("/ioc/")
        assert page.url.startswith(f"{live_server.url}/accounts/login/"), user.username


def test_user_menu_works_with_the_keyboard(page: Any, live_server: Any) -> None:
    log_in(page, live_server, next(u for u in STAFF if u.username == "vanhanh"))
    page.focus(".usermenu > summary")
    page.keyboard.press("Enter")
    assert page.locator(".usermenu").get_attribute("open") is not None
    assert page.locator(".usermenu-logout button").is_visible()
    page.keyboard.press("Escape")
    assert page.locator(".usermenu").get_attribute("open") is None
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"


def test_ioc_home_for_the_operator(page: Any, live_server: Any) -> None:
    log_in(page, live_server, next(u for u in STAFF if u.username == "vanhanh"))
    assert page.locator(".stat-value").first.inner_text() == "3"
    assert page.locator(".eventlist li").count() == 3
    assert no_horizontal_scroll(page)
    if SCREENSHOTS:
        IMG_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG_DIR / "ioc-home.png"), full_page=True)
    page.set_viewport_size(PHONE)
    for url, name in [("/ioc/", "ioc-home-phone.png"), ("/", "home-phone.png")]:
        page.goto(url)
        assert no_horizontal_scroll(page), url
        if SCREENSHOTS:
            page.screenshot(path=str(IMG_DIR / name), full_page=True)


def test_pages_fit_a_1920_screen(page: Any, live_server: Any) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/")
    assert no_horizontal_scroll(page)
    main_width = page.evaluate("document.querySelector('.cards').getBoundingClientRect().width")
    assert 900 < main_width <= 1280
