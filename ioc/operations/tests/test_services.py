"""raise_event (deduplication, validation) and the audited status changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry
from ioc.operations import services
from ioc.operations.models import Event
from ioc.operations.services import (
    InvalidTransition,
    acknowledge_event,
    raise_event,
    reopen_event,
    resolve_event,
)
from ioc.operations.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _row(event: Event) -> dict[str, Any]:
    return model_to_dict(Event.objects.get(pk=event.pk))


def _updates(event: Event) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            object_type="operations.event", object_id=str(event.pk), action="update"
        )
    )


# --- raise_event -----------------------------------------------------------------------------


def test_raise_event_creates_an_open_event(
    units: dict[str, Any], sectors: dict[str, Any], agencies: dict[str, Any]
) -> None:
    event = raise_event(
        source="integrations",
        category="late-data",
        headline="Dữ liệu Sở Y tế trễ hạn",
        severity="moderate",
        urgency="expected",
        certainty="observed",
        occurred_at=NOW,
        description="Chưa nhận dữ liệu từ 17:00.",
        link="/ioc/",
        obj=agencies["health"],
        unit=units["hcm"],
        sector=sectors["health"],
        agency=agencies["health"],
        dedup_key="integrations:late:1",
    )
    event.refresh_from_db()
    assert event.status == "open"
    assert event.repeat_count == 1
    assert event.occurred_at == NOW
    assert event.headline_folded == "du lieu so y te tre han"
    assert (event.object_type, event.object_id) == ("core.agency", str(agencies["health"].pk))
    assert (event.unit, event.sector, event.agency) == (
        units["hcm"],
        sectors["health"],
        agencies["health"],
    )
    created = AuditEntry.objects.get(object_type="operations.event", object_id=str(event.pk))
    assert created.action == "create"
    assert created.actor is None
    assert created.changes["status"] == [None, "open"]


def test_raise_event_defaults() -> None:
    event = raise_event(source="cameras", category="offline", headline="Camera 12 mất tín hiệu")
    assert (event.severity, event.urgency, event.certainty) == ("unknown", "unknown", "unknown")
    assert event.occurred_at is not None
    assert event.dedup_key == ""


def test_same_dedup_key_updates_the_open_event() -> None:
    first = raise_event(
        source="cameras",
        category="offline",
        headline="Camera 12 offline",
        severity="minor",
        occurred_at=NOW,
        dedup_key="cameras:offline:12",
    )
    later = NOW + dt.timedelta(minutes=5)
    second = raise_event(
        source="cameras",
        category="offline",
        headline="Camera 12 vẫn offline",
        severity="severe",
        occurred_at=later,
        dedup_key="cameras:offline:12",
    )
    assert second.pk == first.pk
    assert Event.objects.count() == 1
    event = Event.objects.get()
    assert event.repeat_count == 2
    assert event.occurred_at == later
    assert event.severity == "severe"
    assert event.headline == "Camera 12 vẫn offline"
    assert event.headline_folded == "camera 12 van offline"
    # An occurrence reported late does not move the time backwards.
    raise_event(
        source="cameras",
        category="offline",
        headline="Camera 12 offline",
        occurred_at=NOW - dt.timedelta(hours=1),
        dedup_key="cameras:offline:12",
    )
    event.refresh_from_db()
    assert event.repeat_count == 3
    assert event.occurred_at == later
    # Repeats are not audited: one "create" entry only.
    assert AuditEntry.objects.filter(object_type="operations.event").count() == 1


def test_dedup_counts_on_an_acknowledged_event_and_keeps_its_status(operator: Any) -> None:
    event = raise_event(source="s", category="c", headline="h", dedup_key="k")
    acknowledge_event(actor=operator, event=event, note="on it")
    again = raise_event(source="s", category="c", headline="h", dedup_key="k")
    assert again.pk == event.pk
    assert again.status == "acknowledged"
    assert again.repeat_count == 2
    assert again.note == "on it"


def test_a_resolved_event_is_not_reused(operator: Any) -> None:
    event = raise_event(source="s", category="c", headline="h", dedup_key="k")
    resolve_event(actor=operator, event=event)
    again = raise_event(source="s", category="c", headline="h", dedup_key="k")
    assert again.pk != event.pk
    assert again.status == "open"
    assert Event.objects.count() == 2


def test_different_or_empty_keys_make_new_events() -> None:
    raise_event(source="s", category="c", headline="h", dedup_key="a")
    raise_event(source="s", category="c", headline="h", dedup_key="b")
    raise_event(source="s", category="c", headline="h")
    raise_event(source="s", category="c", headline="h")
    assert Event.objects.count() == 4


def test_dedup_survives_a_concurrent_first_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process created the event between our look-up and our insert: the unique
    constraint refuses the second row and we count a repeat instead."""
    existing = raise_event(source="s", category="c", headline="h", dedup_key="race")
    real = services._repeat
    calls = {"n": 0}

    def first_misses(*args: Any) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)

    monkeypatch.setattr(services, "_repeat", first_misses)
    again = raise_event(source="s", category="c", headline="h", dedup_key="race")
    assert again.pk == existing.pk
    assert again.repeat_count == 2
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"severity": "catastrophic"}, "severity must be one of extreme, severe"),
        ({"urgency": "now"}, "urgency must be one of"),
        ({"certainty": "sure"}, "certainty must be one of"),
        ({"headline": "  "}, "headline is required"),
        ({"source": ""}, "source is required"),
        ({"category": "x" * 61}, "category is longer than 60"),
        ({"dedup_key": "k" * 201}, "dedup_key is longer than 200"),
        ({"occurred_at": dt.datetime(2026, 1, 1, 8, 0)}, "timezone-aware"),
        ({"occurred_at": "2026-01-01"}, "occurred_at must be a datetime"),
        ({"unit": "79"}, "unit must be AdministrativeUnit or None"),
    ],
)
def test_raise_event_validates(kwargs: dict[str, Any], message: str) -> None:
    base = {"source": "s", "category": "c", "headline": "h"}
    with pytest.raises(ValueError, match=message):
        raise_event(**{**base, **kwargs})
    assert not Event.objects.exists()


def test_a_long_headline_is_shortened() -> None:
    event = raise_event(source="s", category="c", headline="Ngập " * 100)
    assert len(event.headline) == 300
    assert event.headline.endswith("…")


# --- acknowledge, resolve, reopen ------------------------------------------------------------


def test_acknowledge_is_audited(operator: Any) -> None:
    event = raise_event(source="s", category="c", headline="h", occurred_at=NOW)
    result = acknowledge_event(actor=operator, event=event, note="Đã báo đội cứu hộ")
    assert result.status == "acknowledged"
    assert event.status == "acknowledged"  # the caller's instance follows
    row = Event.objects.get(pk=event.pk)
    assert row.acknowledged_by == operator
    assert row.acknowledged_at is not None
    assert row.note == "Đã báo đội cứu hộ"
    [entry] = _updates(event)
    assert entry.actor == operator
    assert entry.actor_name == "operator"
    assert entry.changes["status"] == ["open", "acknowledged"]
    assert entry.changes["acknowledged_by"] == [None, operator.pk]
    assert entry.changes["note"] == ["", "Đã báo đội cứu hộ"]
    assert entry.message == "event acknowledged"


def test_resolve_is_audited_and_marks_who_took_it(operator: Any) -> None:
    event = raise_event(source="s", category="c", headline="h")
    resolve_event(actor=operator, event=event)
    row = Event.objects.get(pk=event.pk)
    assert row.status == "resolved"
    assert row.acknowledged_by == operator
    [entry] = _updates(event)
    assert entry.changes["status"] == ["open", "resolved"]
    assert entry.message == "event resolved"


def test_resolve_after_acknowledge_keeps_the_first_operator(operator: Any, make_user: Any) -> None:
    other = make_user("other", roles=[Role.OPERATOR], scope_all=True)
    event = raise_event(source="s", category="c", headline="h")
    acknowledge_event(actor=operator, event=event)
    resolve_event(actor=other, event=event.pk)
    row = Event.objects.get(pk=event.pk)
    assert (row.status, row.acknowledged_by) == ("resolved", operator)
    assert [e.actor_name for e in _updates(event)] == ["other", "operator"]  # newest first


def test_reopen(operator: Any) -> None:
    event = raise_event(source="s", category="c", headline="h", dedup_key="k")
    resolve_event(actor=operator, event=event)
    reopen_event(actor=operator, event=event, note="Lại ngập")
    row = Event.objects.get(pk=event.pk)
    assert (row.status, row.acknowledged_by, row.acknowledged_at) == ("open", None, None)
    assert _updates(event)[0].changes["status"] == ["resolved", "open"]


def test_reopen_refused_when_a_newer_event_has_the_key(operator: Any) -> None:
    old = raise_event(source="s", category="c", headline="h", dedup_key="k")
    resolve_event(actor=operator, event=old)
    raise_event(source="s", category="c", headline="h", dedup_key="k")
    before = _row(old)
    with pytest.raises(InvalidTransition, match="same deduplication key"):
        reopen_event(actor=operator, event=old)
    assert _row(old) == before


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (resolve_event, acknowledge_event),
        (acknowledge_event, acknowledge_event),
        (resolve_event, resolve_event),
    ],
)
def test_transitions_the_status_does_not_allow(operator: Any, first: Any, then: Any) -> None:
    event = raise_event(source="s", category="c", headline="h")
    first(actor=operator, event=event)
    before = _row(event)
    with pytest.raises(InvalidTransition):
        then(actor=operator, event=event)
    assert _row(event) == before
    assert len(_updates(event)) == 1


def test_reopen_an_open_event_is_refused(operator: Any) -> None:
    event = raise_event(source="s", category="c", headline="h")
    with pytest.raises(InvalidTransition):
        reopen_event(actor=operator, event=event)


# --- denial changes nothing ------------------------------------------------------------------


@pytest.mark.parametrize("service", [acknowledge_event, resolve_event])
def test_without_change_permission_nothing_changes(
    viewer: Any, sectors: dict[str, Any], service: Any
) -> None:
    event = raise_event(source="s", category="c", headline="h", sector=sectors["health"])
    before = _row(event)
    with pytest.raises(PermissionDenied):
        service(actor=viewer, event=event, note="x")
    assert _row(event) == before
    assert event.status == "open"
    assert _updates(event) == []
    denied = AuditEntry.objects.get(action="denied")
    assert denied.actor == viewer
    assert "operations.change_event" in denied.message


def test_outside_scope_nothing_changes(make_user: Any, units: dict[str, Any]) -> None:
    ward_operator = make_user("ward-op", roles=[Role.OPERATOR], units=[units["new_pl"]])
    event = raise_event(source="s", category="c", headline="h", unit=units["new_tdm"])
    before = _row(event)
    with pytest.raises(PermissionDenied):
        acknowledge_event(actor=ward_operator, event=event)
    with pytest.raises(PermissionDenied):
        resolve_event(actor=ward_operator, event=event)
    assert _row(event) == before
    assert _updates(event) == []
    # The same operator may handle an event of the ward in scope.
    mine = raise_event(source="s", category="c", headline="h", unit=units["new_pl"])
    acknowledge_event(actor=ward_operator, event=mine)
    assert Event.objects.get(pk=mine.pk).status == "acknowledged"


def test_anonymous_and_inactive_are_refused(make_user: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    inactive = make_user("gone", roles=[Role.OPERATOR], scope_all=True, is_active=False)
    event = raise_event(source="s", category="c", headline="h")
    before = _row(event)
    for actor in (None, AnonymousUser(), inactive):
        with pytest.raises(PermissionDenied):
            acknowledge_event(actor=actor, event=event)
    assert _row(event) == before
