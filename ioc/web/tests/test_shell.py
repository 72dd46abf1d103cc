"""The shell: languages, navigation, the IOC home, health checks, error pages, formats, palette."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation

from ioc.accounts.choices import AccountKind, Role
from ioc.core.templatetags.vn import (
    vn_currency,
    vn_date,
    vn_datetime,
    vn_name,
    vn_number,
    vn_time,
)
from ioc.operations.models import Event
from ioc.urls import urlpatterns as ioc_urlpatterns
from ioc.web import views

NBSP = "\u00a0"


# --- a URLconf for the error-page tests: ioc.urls plus the handlers (and a view that fails) -----
def _boom(request: Any) -> Any:
    raise RuntimeError("boom")


urlpatterns = [path("__boom__/", _boom), *ioc_urlpatterns]
handler403 = "ioc.web.views.permission_denied"
handler404 = "ioc.web.views.page_not_found"
handler500 = "ioc.web.views.server_error"


@pytest.fixture
def with_handlers(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    settings.CSRF_FAILURE_VIEW = "ioc.web.views.csrf_failure"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # the area name is cached between requests


def vi(message: str) -> str:
    """The Vietnamese of a msgid (the msgid itself until the catalogue has it)."""
    with translation.override("vi"):
        return translation.gettext(message)


def html_lang(content: bytes) -> str:
    match = re.search(rb'<html lang="([^"]+)"', content)
    assert match, "no lang attribute on <html>"
    return match.group(1).decode()


# --- languages -------------------------------------------------------------------------------
def test_home_is_vietnamese_by_default(client: Client, db: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response.content) == "vi"
    body = response.content.decode()
    assert vi("Search the portal") in body and vi("Search the portal") != "Search the portal"
    assert "Search the portal" not in body
    # the switcher offers the other language, labelled in that language
    assert 'href="/i18n/en/?next=/" lang="en"' in body
    assert 'href="/i18n/vi/' not in body


def test_pages_are_english_after_switching_language(client: Client, db: Any) -> None:
    response = client.get("/i18n/en/?next=/feedback/")
    assert response.status_code == 302
    assert response["Location"] == "/feedback/"
    response = client.get("/feedback/")
    assert html_lang(response.content) == "en"
    assert 'href="/i18n/vi/?next=/feedback/" lang="vi"' in response.content.decode()
    # the portal's pages keep their address's language: "/" is the Vietnamese home (the
    # English one, once translated, is /en/; see ioc/portal/tests/test_languages.py)
    assert html_lang(client.get("/").content) == "vi"
    # and back
    client.get("/i18n/vi/?next=/feedback/")
    assert html_lang(client.get("/feedback/").content) == "vi"
    # Django's own POST form keeps working for whoever posts to it
    client.post("/i18n/setlang/", {"language": "en", "next": "/feedback/"})
    assert html_lang(client.get("/feedback/").content) == "en"


def test_language_switcher_is_a_plain_link(client: Client, db: Any) -> None:
    """It works without JavaScript and without a form: a link that sets the cookie and comes
    back to the same address; so public pages hold no token and can be cached."""
    body = client.get("/feedback/?page=2").content.decode()
    assert 'href="/i18n/en/?next=/feedback/%3Fpage%3D2" lang="en"' in body
    assert "onchange" not in body
    response = client.get("/i18n/en/", {"next": "/feedback/?page=2"})
    assert response["Location"] == "/feedback/?page=2"
    assert response.cookies["django_language"].value == "en"
    for away in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        assert client.get("/i18n/en/", {"next": away})["Location"] == "/"
    assert client.get("/i18n/xx/").status_code == 404
    assert client.post("/i18n/en/").status_code == 405


# --- landmarks and accessibility basics --------------------------------------------------------
def test_shell_has_landmarks_skip_link_and_csrf_meta(client: Client, db: Any) -> None:
    body = client.get("/feedback/").content.decode()
    assert body.index('class="skip-link" href="#main"') < body.index("<header")
    for landmark in ("<header", '<nav class="mainnav" aria-label=', '<main id="main"', "<footer"):
        assert landmark in body, landmark
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', body)
    assert token and len(token.group(1)) == 64
    assert 'aria-current="page"' in body  # the portal link is the current page


# --- navigation ------------------------------------------------------------------------------
def test_nav_shows_admin_link_only_for_staff(client: Client, make_user: Any) -> None:
    assert 'href="/admin/"' not in client.get("/").content.decode()

    client.force_login(make_user("clerk", roles=[Role.OPERATOR], scope_all=True))
    assert 'href="/admin/"' not in client.get("/").content.decode()
    client.logout()

    client.force_login(make_user("boss", roles=[Role.SYSTEM_ADMIN], scope_all=True, is_staff=True))
    body = client.get("/").content.decode()
    assert body.count('href="/admin/"') == 2  # the main navigation and the user menu


def test_user_menu_shows_name_roles_and_a_logout_form(client: Client, make_user: Any) -> None:
    client.force_login(
        make_user("van", roles=[Role.OPERATOR], scope_all=True, first_name="Trần Thị Vân")
    )
    body = client.get("/feedback/").content.decode()
    assert '<span class="usermenu-name">Trần Thị Vân</span>' in body
    assert f"<li>{vi('IOC operator')}</li>" in body
    assert re.search(r'<form action="/accounts/logout/" method="post"', body)
    assert 'href="/accounts/login/' not in body


def test_anonymous_sees_a_login_link(client: Client, db: Any) -> None:
    body = client.get("/feedback/").content.decode()
    assert 'href="/accounts/login/?next=/feedback/"' in body
    assert "usermenu" not in body
    # not on the login page itself
    assert (
        'class="button button-primary" href="/accounts/login/'
        not in client.get("/accounts/login/").content.decode()
    )


# --- the IOC home ----------------------------------------------------------------------------
def test_ioc_home_sends_anonymous_users_to_login(client: Client, db: Any) -> None:
    response = client.get("/ioc/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/ioc/"


def test_ioc_home_greets_staff_with_roles_and_counts(
    client: Client, make_user: Any, agencies: dict[str, Any]
) -> None:
    now = dt.datetime(2026, 11, 26, 7, 5, tzinfo=dt.UTC)
    for i, status in enumerate(["open", "open", "resolved"]):
        Event.objects.create(
            source="test",
            category="late-data",
            status=status,
            occurred_at=now,
            headline=f"Late data {i}",
            severity="severe",
        )
    client.force_login(
        make_user("van", roles=[Role.OPERATOR], scope_all=True, first_name="Trần Thị Vân")
    )

    response = client.get("/ioc/")
    assert response.status_code == 200
    assert response.context["open_count"] == 2
    assert response.context["agencies"] == 3
    body = response.content.decode()
    assert "Trần Thị Vân" in body
    assert f"<li>{vi('IOC operator')}</li>" in body
    assert '<span class="stat-value">2</span>' in body
    assert '<span class="stat-value">3</span>' in body
    assert "14:05 26/11/2026" in body  # local time (UTC+7), Vietnamese format
    assert body.count("Late data") == 2
    hrefs = [link.url for link in response.context["quick_links"]]
    # An operator reads the shared database and watches the connections.
    assert hrefs == [
        "/ioc/dashboards/",
        "/ioc/map/",
        "/ioc/feedback/",  # the hotline's reports, handled with the agencies
        "/ioc/cameras/",
        "/ioc/events/",
        "/ioc/data/",
        "/ioc/data/connections/",
        "/ioc/units/",
        "/ioc/agencies/",
    ]


def test_ioc_home_counts_only_what_is_in_scope(
    client: Client, make_user: Any, agencies: dict[str, Any], sectors: dict[str, Any]
) -> None:
    client.force_login(
        make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["education"]])
    )
    response = client.get("/ioc/")
    assert response.context["agencies"] == 0
    assert response.context["open_count"] == 0


@pytest.mark.parametrize("role", [None, Role.PORTAL_WRITER], ids=["no-role", "portal-writer"])
def test_ioc_home_shows_events_only_to_those_who_may_read_them(
    client: Client, make_user: Any, agencies: dict[str, Any], role: Role | None
) -> None:
    Event.objects.create(
        source="test",
        category="flood",
        status="open",
        occurred_at=dt.datetime(2026, 11, 26, 7, 5, tzinfo=dt.UTC),
        headline="Ngập sâu đường Yersin",
        severity="severe",
    )
    client.force_login(make_user("bientap", roles=[role] if role else [], scope_all=True))
    response = client.get("/ioc/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ngập sâu đường Yersin" not in body
    assert vi("Open events") not in body
    assert vi("Latest open events") not in body
    assert response.context["open_count"] is None
    assert list(response.context["open_events"]) == []
    assert "/ioc/events/" not in [link.url for link in response.context["quick_links"]]
    assert response.context["agencies"] == 3  # the rest of the page is still there


def test_ioc_home_links_audit_and_admin_for_admins_only(client: Client, make_user: Any) -> None:
    client.force_login(make_user("boss", roles=[Role.SYSTEM_ADMIN], scope_all=True, is_staff=True))
    hrefs = [link.url for link in client.get("/ioc/").context["quick_links"]]
    assert hrefs == [
        "/ioc/dashboards/",
        "/ioc/map/",
        "/ioc/feedback/",  # the hotline's reports, handled with the agencies
        "/ioc/cameras/",
        "/ioc/events/",
        "/ioc/data/",
        "/ioc/data/connections/",
        "/ioc/units/",
        "/ioc/agencies/",
        "/ioc/audit/",
        "/admin/",
    ]


def test_ioc_home_refuses_citizens(client: Client, make_user: Any, with_handlers: None) -> None:
    client.force_login(make_user("dan", kind=AccountKind.CITIZEN))
    response = client.get("/ioc/")
    assert response.status_code == 403
    assert "stat-value" not in response.content.decode()


def test_citizens_see_no_link_to_the_operations_centre(client: Client, make_user: Any) -> None:
    client.force_login(make_user("dan", kind=AccountKind.CITIZEN))
    body = client.get("/").content.decode()
    nav = re.search(r'<nav class="mainnav".*?</nav>', body, re.S)
    assert nav and 'href="/ioc/"' not in nav.group(0)
    assert 'href="/ioc/"' not in body


# --- health ----------------------------------------------------------------------------------
def test_healthz_answers_without_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_checks_both_stores(client: Client, db: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "warehouse": "ok"}}


def test_readyz_reports_a_missing_warehouse(
    client: Client, db: Any, settings: Any, tmp_path: Path
) -> None:
    settings.WAREHOUSE_URL = ""
    settings.WAREHOUSE_PATH = tmp_path / "missing.duckdb"
    response = client.get("/readyz")
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "unavailable"
    assert data["checks"]["database"] == "ok"
    assert data["checks"]["warehouse"].startswith("error: ")


def test_readyz_reports_an_unreachable_postgresql_warehouse(
    client: Client, db: Any, settings: Any
) -> None:
    settings.WAREHOUSE_URL = "postgresql://ioc@127.0.0.1:1/ioc_warehouse"  # nothing listens
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["warehouse"].startswith("error: ")


# --- error pages -----------------------------------------------------------------------------
def test_404_page_is_friendly_and_in_the_shell(
    client: Client, db: Any, with_handlers: None
) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert html_lang(response.content) == "vi"
    assert vi("Page not found") in body
    assert "<code>/no/such/page/</code>" in body
    assert '<main id="main"' in body
    assert 'href="/"' in body


def test_403_page_tells_what_to_do(client: Client, db: Any, with_handlers: None) -> None:
    request = RequestFactory().get("/ioc/secret/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = views.permission_denied(request, PermissionError("Not for you."))
    assert response.status_code == 403
    body = response.content.decode()
    assert vi("No access to this page") in body
    assert 'href="/accounts/login/"' in body


def test_500_page_stands_alone(client: Client, db: Any, with_handlers: None) -> None:
    client.raise_request_exception = False
    response = client.get("/__boom__/")
    assert response.status_code == 500
    body = response.content.decode()
    assert html_lang(response.content) == "vi"
    assert vi("Something went wrong on our side") in body
    assert "dist/app.css" not in body  # no static files needed
    assert re.search(r"\d\d:\d\d \d\d/\d\d/\d{4}", body)  # the time to quote to the IT centre


def test_expired_form_gets_the_friendly_csrf_page(make_user: Any, with_handlers: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert vi("This form has expired") in response.content.decode()


# --- Vietnamese formats ------------------------------------------------------------------------
MOMENT = dt.datetime(2026, 11, 26, 7, 5, tzinfo=dt.UTC)  # 14:05 in Hồ Chí Minh City
LATE = dt.datetime(2026, 11, 26, 20, 30, tzinfo=dt.UTC)  # already 27/11 locally


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(
            "vi",
            {
                "int": "1.234.567",
                "float": "1.234.567,5",
                "places": "12,35",
                "neg": "-1.234,5",
                "money": f"1.234.567{NBSP}₫",
                "money_round": f"1.235{NBSP}₫",
                "date": "26/11/2026",
                "short": "26/11/2026",
                "dt": "14:05 26/11/2026",
                "late_date": "27/11/2026",
                "time": "14:05",
            },
            id="vi_case",
        ),
        pytest.param(
            "en",
            {
                "int": "1,234,567",
                "float": "1,234,567.5",
                "places": "12.35",
                "neg": "-1,234.5",
                "money": f"1,234,567{NBSP}₫",
                "money_round": f"1,235{NBSP}₫",
                "date": "26 Nov 2026",
                "short": "26/11/2026",
                "dt": "26 Nov 2026, 14:05",
                "late_date": "27 Nov 2026",
                "time": "14:05",
            },
            id="en_case",
        ),
    ],
)
def test_vn_filters_follow_the_active_language(language: str, expected: dict[str, str]) -> None:
    with translation.override(language):
        got = {
            "int": vn_number(1234567),
            "float": vn_number(1234567.5),
            "places": vn_number(Decimal("12.345"), 2),
            "neg": vn_number("-1234.5"),
            "money": vn_currency(Decimal("1234567.4")),
            "money_round": vn_currency(1234.5),
            "date": vn_date(dt.date(2026, 11, 26)),
            "short": vn_date(MOMENT, "short"),
            "dt": vn_datetime(MOMENT),
            "late_date": vn_date(LATE),
            "time": vn_time(MOMENT),
        }
    assert got == expected


def test_vn_filters_leave_odd_values_alone() -> None:
    with translation.override("vi"):
        assert vn_number(None) == ""
        assert vn_number("") == ""
        assert vn_number("n/a") == "n/a"
        assert vn_number(-0.4, 0) == "0"
        assert vn_number(True) is True
        assert vn_currency(None) == ""
        assert vn_date(None) == ""
        assert vn_date("not a date") == "not a date"
        assert vn_date("2026-11-26") == "26/11/2026"
        assert vn_datetime(dt.date(2026, 1, 2)) == "02/01/2026"


def test_vn_name_puts_the_family_name_first() -> None:
    from ioc.accounts.models import User

    assert vn_name(User(username="van", first_name="Vân", last_name="Trần Thị")) == "Trần Thị Vân"
    assert vn_name(User(username="van", first_name="Trần Thị Vân")) == "Trần Thị Vân"
    assert vn_name(User(username="van")) == "van"
    assert vn_name(None) == ""


def test_vn_filters_in_a_template() -> None:
    template = Template(
        "{% load vn %}{{ n|vn_number:1 }} | {{ m|vn_currency }} | {{ d|vn_date }} | "
        "{{ t|vn_datetime:'short' }}"
    )
    context = Context({"n": 9876.54, "m": 25000, "d": dt.date(2026, 2, 3), "t": MOMENT})
    with translation.override("vi"):
        assert (
            template.render(context) == f"9.876,5 | 25.000{NBSP}₫ | 03/02/2026 | 14:05 26/11/2026"
        )
    with translation.override("en"):
        assert (
            template.render(context) == f"9,876.5 | 25,000{NBSP}₫ | 3 Feb 2026 | 26/11/2026 14:05"
        )


# --- the palette meets WCAG 2.1 AA -------------------------------------------------------------
CSS = Path(django_settings.BASE_DIR) / "frontend" / "styles" / "app.css"

# (text, background, minimum ratio): 4.5 for text, 3 for borders of form controls.
PAIRS = [
    ("ink", "bg", 4.5),
    ("ink", "surface", 4.5),
    ("muted", "bg", 4.5),
    ("muted", "surface", 4.5),
    ("link", "bg", 4.5),
    ("link", "surface", 4.5),
    ("on-navy", "navy", 4.5),
    ("on-navy", "navy-hover", 4.5),
    ("on-navy-muted", "navy", 4.5),
    ("on-navy-muted", "navy-deep", 4.5),
    ("on-navy", "navy-deep", 4.5),
    ("navy", "surface", 4.5),
    ("ink", "focus", 4.5),
    ("alert", "surface", 4.5),
    ("alert", "alert-bg", 4.5),
    ("note-ink", "note-bg", 4.5),
    ("ink", "note-bg", 4.5),
    ("on-navy", "sev-extreme", 4.5),
    ("on-navy", "sev-severe", 4.5),
    ("ink", "sev-moderate", 4.5),  # amber takes dark text
    ("on-navy", "sev-minor", 4.5),
    ("on-navy", "sev-unknown", 4.5),
    ("control", "surface", 3),
]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_palette_contrast() -> None:
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54  # the known AA threshold grey
    root = re.search(r":root\s*{(.*?)}", CSS.read_text(), re.S)
    assert root
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", root.group(1)))
    failures = [
        f"--{fg} on --{bg}: {contrast(colours[fg], colours[bg]):.2f} < {minimum}"
        for fg, bg, minimum in PAIRS
        if contrast(colours[fg], colours[bg]) < minimum
    ]
    assert failures == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/feedback/"])
def test_head_requests_are_answered(client, path):
    """Monitoring probes and link checkers send HEAD."""
    assert client.head(path).status_code == 200


@pytest.mark.django_db
def test_refused_event_action_explains_itself_without_code_names(client, make_user, units):
    from ioc.accounts.choices import Role
    from ioc.operations.services import raise_event

    event = raise_event(source="test", category="flood", headline="Ngập", unit=units["new_tdm"])
    leader = make_user("leader", roles=[Role.LEADER], scope_all=True)  # may view, not change
    client.force_login(leader)
    response = client.post(f"/ioc/events/{event.pk}/acknowledge/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "change_event" not in html
    assert "Tài khoản của bạn không được" in html
