"""The operator inbox, its filters, htmx and form-post actions, the detail page, the banner."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry
from ioc.operations.models import Event
from ioc.operations.services import acknowledge_event, resolve_event
from ioc.operations.tests.conftest import NOW

pytestmark = pytest.mark.django_db

INBOX = "/ioc/events/"


def _client(user: Any) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # assertions read English labels
    client.force_login(user)
    return client


def _ids(response: Any) -> list[int]:
    """Event ids in the inbox table, in display order."""
    return [int(i) for i in re.findall(r'<tr id="event-(\d+)"', response.content.decode())]


def test_urls_stay_put() -> None:
    assert reverse("operations:inbox") == "/ioc/events/"
    assert reverse("operations:banner") == "/ioc/events/banner/"
    assert reverse("operations:detail", args=[7]) == "/ioc/events/7/"


def test_anonymous_is_sent_to_login(client: Client) -> None:
    for url in (INBOX, "/ioc/events/banner/", "/ioc/events/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_anonymous_post_is_sent_to_login_then_the_inbox(client: Client) -> None:
    response = client.post("/ioc/events/1/acknowledge/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/ioc/events/"


def test_htmx_poll_from_an_expired_session_asks_for_login(client: Client) -> None:
    response = client.get(
        "/ioc/events/banner/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/ioc/events/?q=x"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/accounts/login/?next=/ioc/events/")


def test_users_without_the_role_get_403(make_user: Any) -> None:
    writer = make_user("writer", roles=[Role.PORTAL_WRITER], scope_all=True)
    client = _client(writer)
    assert client.get(INBOX).status_code == 403
    assert client.get("/ioc/events/banner/").status_code == 403


def test_default_shows_open_and_acknowledged(operator: Any, make_event: Any) -> None:
    open_ = make_event()
    acked = make_event()
    resolved = make_event()
    acknowledge_event(actor=operator, event=acked)
    resolve_event(actor=operator, event=resolved)
    response = _client(operator).get(INBOX)
    assert response.status_code == 200
    assert set(_ids(response)) == {open_.pk, acked.pk}
    html = response.content.decode()
    assert re.search(r'value="open"[^>]*checked', html)  # the default shows as ticked
    assert not re.search(r'value="resolved"[^>]*checked', html)
    only_resolved = _client(operator).get(INBOX, {"status": "resolved"})
    assert _ids(only_resolved) == [resolved.pk]
    everything = _client(operator).get(INBOX, {"status": ["open", "acknowledged", "resolved"]})
    assert set(_ids(everything)) == {open_.pk, acked.pk, resolved.pk}


def test_sorted_by_severity_then_time(operator: Any, make_event: Any) -> None:
    minor_new = make_event(severity="minor", occurred_at=NOW)
    extreme_old = make_event(severity="extreme", occurred_at=NOW - dt.timedelta(days=2))
    severe_new = make_event(severity="severe", occurred_at=NOW)
    severe_old = make_event(severity="severe", occurred_at=NOW - dt.timedelta(hours=1))
    unknown = make_event(severity="unknown", occurred_at=NOW)
    response = _client(operator).get(INBOX)
    assert _ids(response) == [
        extreme_old.pk,
        severe_new.pk,
        severe_old.pk,
        minor_new.pk,
        unknown.pk,
    ]


def test_severity_is_readable_without_colour(operator: Any, make_event: Any) -> None:
    make_event(severity="extreme")
    html = _client(operator).get(INBOX).content.decode()
    assert 'class="sev-badge sev-extreme"' in html
    assert (
        '<span class="sev-label">Extreme</span>' in html or "Cực kỳ" in html or "sev-label" in html
    )
    assert '<svg class="sev-icon"' in html


def test_counts_per_severity(operator: Any, make_event: Any) -> None:
    for severity in ("extreme", "severe", "severe", "minor"):
        make_event(severity=severity)
    response = _client(operator).get(INBOX, {"severity": "severe"})
    counts = {c["code"]: c["count"] for c in response.context["severity_counts"]}
    # The counts ignore the severity filter itself (they are how you pick one).
    assert counts == {"extreme": 1, "severe": 2, "moderate": 0, "minor": 1, "unknown": 0}
    assert len(_ids(response)) == 2


def test_search_ignores_diacritics_and_case(operator: Any, make_event: Any) -> None:
    flood = make_event(headline="Ngập lụt sâu 40 cm tại Phường Thủ Dầu Một")
    make_event(headline="Ùn tắc kéo dài trên Quốc lộ 13")
    client = _client(operator)
    assert _ids(client.get(INBOX, {"q": "ngap lut"})) == [flood.pk]
    assert _ids(client.get(INBOX, {"q": "NGẬP  Thu dau"})) == [flood.pk]
    assert _ids(client.get(INBOX, {"q": "lut quoc"})) == []


def test_filters(
    operator: Any, make_event: Any, units: dict[str, Any], sectors: dict[str, Any]
) -> None:
    a = make_event(
        category="flood",
        source="sensors",
        unit=units["new_tdm"],
        sector=sectors["health"],
        occurred_at=NOW,
    )
    b = make_event(
        category="traffic",
        source="cameras",
        unit=units["new_pl"],
        sector=sectors["traffic"],
        occurred_at=NOW - dt.timedelta(days=3),
    )
    c = make_event(
        category="traffic",
        source="sensors",
        unit=units["hcm"],
        occurred_at=NOW - dt.timedelta(days=10),
    )
    client = _client(operator)
    assert _ids(client.get(INBOX, {"category": "traffic"})) == [b.pk, c.pk]
    assert _ids(client.get(INBOX, {"source": "sensors"})) == [a.pk, c.pk]
    assert _ids(client.get(INBOX, {"sector": sectors["traffic"].pk})) == [b.pk]
    assert _ids(client.get(INBOX, {"unit": units["new_pl"].pk})) == [b.pk]
    # A unit's filter includes the units below it.
    assert set(_ids(client.get(INBOX, {"unit": units["hcm"].pk}))) == {a.pk, b.pk, c.pk}
    start = (NOW - dt.timedelta(days=4)).date().isoformat()
    end = (NOW - dt.timedelta(days=1)).date().isoformat()
    assert _ids(client.get(INBOX, {"date_from": start, "date_to": end})) == [b.pk]
    assert _ids(client.get(INBOX, {"date_from": start})) == [a.pk, b.pk]
    bad = client.get(INBOX, {"date_from": end, "date_to": start})
    assert bad.status_code == 200
    assert "date_to" in bad.context["form"].errors


def test_scope_limits_the_inbox(officer: Any, make_event: Any, sectors: dict[str, Any]) -> None:
    health = make_event(sector=sectors["health"])
    make_event(sector=sectors["traffic"])
    make_event()  # no sector: only area-wide users see it
    response = _client(officer).get(INBOX)
    assert _ids(response) == [health.pk]


def test_pagination(operator: Any, make_event: Any) -> None:
    for _ in range(55):
        make_event()
    client = _client(operator)
    first = client.get(INBOX)
    assert len(_ids(first)) == 50
    assert first.context["page_obj"].paginator.count == 55
    second = client.get(INBOX, {"page": 2})
    assert len(_ids(second)) == 5
    assert not set(_ids(first)) & set(_ids(second))


def test_inbox_polls_the_banner(operator: Any, make_event: Any) -> None:
    make_event(severity="extreme", headline="Vỡ đê")
    html = _client(operator).get(INBOX).content.decode()
    assert 'hx-get="/ioc/events/banner/"' in html
    assert 'hx-trigger="every 15s' in html


def test_banner_shows_the_most_severe_unresolved(operator: Any, make_event: Any) -> None:
    minor = make_event(severity="minor", headline="Nhỏ")
    severe = make_event(severity="severe", headline="Nặng")
    extreme = make_event(
        severity="extreme", headline="Vỡ đê", occurred_at=NOW - dt.timedelta(days=1)
    )
    resolved = make_event(severity="extreme", headline="Đã xong")
    resolve_event(actor=operator, event=resolved)
    response = _client(operator).get("/ioc/events/banner/")
    assert response.status_code == 200
    assert [e.pk for e in response.context["banner_events"]] == [extreme.pk, severe.pk]
    html = response.content.decode()
    assert "Vỡ đê" in html and "Nặng" in html
    assert "Nhỏ" not in html and "Đã xong" not in html
    assert 'hx-trigger="every 15s' in html  # the partial keeps polling itself
    limited = _client(operator).get("/ioc/events/banner/", {"limit": 1})
    assert [e.pk for e in limited.context["banner_events"]] == [extreme.pk]
    assert minor.pk not in [e.pk for e in limited.context["banner_events"]]


# --- actions ---------------------------------------------------------------------------------


def test_htmx_acknowledge_swaps_the_row(operator: Any, make_event: Any) -> None:
    event = make_event()
    response = _client(operator).post(
        f"/ioc/events/{event.pk}/acknowledge/",
        {"next": "/ioc/events/?q=x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="event-{event.pk}"')
    assert "status-acknowledged" in html
    assert response["HX-Trigger"] == "events-changed"
    assert Event.objects.get(pk=event.pk).status == "acknowledged"
    # The row now offers resolve, not acknowledge.
    assert f"/ioc/events/{event.pk}/resolve/" in html
    assert f"/ioc/events/{event.pk}/acknowledge/" not in html


def test_rows_carry_htmx_and_plain_form_fallback(operator: Any, make_event: Any) -> None:
    event = make_event()
    html = _client(operator).get(INBOX).content.decode()
    url = f"/ioc/events/{event.pk}/acknowledge/"
    assert f'<form method="post" action="{url}" hx-post="{url}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'hx-target="#event-{event.pk}" hx-swap="outerHTML"' in html


def test_plain_post_redirects_back(operator: Any, make_event: Any) -> None:
    event = make_event()
    client = _client(operator)
    response = client.post(
        f"/ioc/events/{event.pk}/resolve/",
        {"next": "/ioc/events/?severity=moderate", "note": "Đã xử lý"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/ioc/events/?severity=moderate"
    row = Event.objects.get(pk=event.pk)
    assert (row.status, row.note) == ("resolved", "Đã xử lý")
    # An outside "next" is ignored.
    other = make_event()
    response = client.post(
        f"/ioc/events/{other.pk}/acknowledge/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/ioc/events/{other.pk}/"


def test_an_action_the_status_does_not_allow_changes_nothing(
    operator: Any, make_event: Any
) -> None:
    event = make_event()
    resolve_event(actor=operator, event=event)
    response = _client(operator).post(
        f"/ioc/events/{event.pk}/acknowledge/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "status-resolved" in response.content.decode()
    assert Event.objects.get(pk=event.pk).status == "resolved"


def test_actions_need_post(operator: Any, make_event: Any) -> None:
    event = make_event()
    assert _client(operator).get(f"/ioc/events/{event.pk}/acknowledge/").status_code == 405


def test_without_change_permission_403_and_nothing_changes(
    viewer: Any, make_event: Any, sectors: dict[str, Any]
) -> None:
    event = make_event(sector=sectors["health"])
    client = _client(viewer)
    assert client.get(INBOX).status_code == 200
    assert f"/ioc/events/{event.pk}/acknowledge/" not in client.get(INBOX).content.decode()
    for action in ("acknowledge", "resolve"):
        response = client.post(f"/ioc/events/{event.pk}/{action}/", headers={"HX-Request": "true"})
        assert response.status_code == 403
    assert Event.objects.get(pk=event.pk).status == "open"


def test_outside_scope_is_404(officer: Any, make_event: Any, sectors: dict[str, Any]) -> None:
    traffic = make_event(sector=sectors["traffic"])
    client = _client(officer)
    assert client.get(f"/ioc/events/{traffic.pk}/").status_code == 404
    assert client.post(f"/ioc/events/{traffic.pk}/acknowledge/").status_code == 404
    assert client.get("/ioc/events/999999/").status_code == 404
    assert Event.objects.get(pk=traffic.pk).status == "open"


def test_detail_shows_the_history(operator: Any, make_event: Any) -> None:
    event = make_event(headline="Ngập lụt", description="Mực nước 1,2 m")
    client = _client(operator)
    client.post(f"/ioc/events/{event.pk}/acknowledge/", {"note": "Đã cử đội"})
    client.post(f"/ioc/events/{event.pk}/resolve/")
    response = client.get(f"/ioc/events/{event.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ngập lụt" in html and "Mực nước 1,2 m" in html
    history = response.context["history"]
    assert [entry.action for entry, _ in history] == ["create", "update", "update"]
    _, rows = history[1]
    # In the event's own words: field labels, status labels, the operator's name.
    status = next(r for r in rows if r.field == "Status")
    assert (status.old, status.new) == ("Open", "Acknowledged")
    by = next(r for r in rows if r.field == "Acknowledged by")
    assert (by.old, by.new) == ("—", "operator")
    assert "Đã cử đội" in html
    assert html.count('class="audit-changes"') == 3
    assert AuditEntry.objects.filter(object_id=str(event.pk), action="update").count() == 2


def test_categories_are_shown_in_words(operator: Any, make_event: Any) -> None:
    make_event(headline="Ngập sâu", category="flood")
    client = Client()
    client.force_login(operator)  # Vietnamese, the default
    html = client.get("/ioc/events/").content.decode()
    assert "Ngập lụt" in html
    assert '<option value="flood">Ngập lụt</option>' in html
