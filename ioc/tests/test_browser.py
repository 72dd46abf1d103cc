"""Acceptance in a real browser: headless Chromium against the live server.

One browser for the module. With IOC_SCREENSHOTS=1 the run also writes docs/img/home.png,
docs/img/ioc-home.png and their 360 px phone versions (otherwise nothing on disk changes).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

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
def province(transactional_db: Any, settings: Any) -> dict[str, Any]:
    """What `make demo` builds, at the tiny scale: real units, sectors, agencies, events and
    one user per role with the passwords `ioc demo` prints."""
    from django.core.management import call_command

    from ioc.accounts.models import User

    call_command("demo", scale="tiny", stdout=io.StringIO())
    cache.clear()  # the area name is cached
    return {"users": {u.username: u for u in User.objects.all()}}


@pytest.fixture
def page(browser: Any, live_server: Any, province: dict[str, Any]) -> Iterator[Any]:
    # An English-language browser: the platform still starts in Vietnamese.
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
    # the portal's home: its sections, a lead story with its picture
    assert page.locator(".portal-nav a").first.inner_text() == "Chính trị"
    assert page.locator(".portal-lead h3").inner_text()
    assert page.locator(".portal-lead img").evaluate("img => img.naturalWidth") > 0
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
    page.click("a[data-language=en]")
    page.wait_for_url(f"{live_server.url}/feedback/")
    assert page.get_attribute("html", "lang") == "en"
    page.click("a[data-language=vi]")
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
    from ioc.operations.models import Event

    log_in(page, live_server, next(u for u in STAFF if u.username == "vanhanh"))
    open_events = Event.objects.filter(status="open").count()
    assert open_events == 6  # the tiny demo's events
    assert page.locator(".stat-value").first.inner_text() == str(open_events)
    assert page.locator(".eventlist li").count() == min(open_events, 8)
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
    main_width = page.evaluate(
        "document.querySelector('.portal-columns').getBoundingClientRect().width"
    )
    assert 900 < main_width <= 1280
