"""Late data: the agencies' scorecard, and events for operators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.integrations.health import check_freshness, scorecard
from ioc.operations.models import Event
from ioc.warehouse.models import Dataset

NOW = dt.datetime(2026, 11, 26, 11, 0, tzinfo=dt.UTC)  # 18:00 in Hồ Chí Minh City
COLS = [{"name": "a", "type": "text"}]


@pytest.fixture
def three(make_dataset: Any, agencies: dict[str, Any], sectors: dict[str, Any]) -> list[Dataset]:
    daily = {"cadence": "daily", "due_time": dt.time(17)}
    on_time = make_dataset("dung_han", COLS, **daily)
    late = make_dataset("tre_han", COLS, **daily)
    missing = make_dataset(
        "thieu", COLS, owner=agencies["traffic"], sector_id=sectors["traffic"].pk, **daily
    )
    Dataset.objects.filter(pk=on_time.pk).update(last_arrival_at=NOW - dt.timedelta(hours=2))
    Dataset.objects.filter(pk=late.pk).update(last_arrival_at=NOW - dt.timedelta(hours=26))
    return [on_time, late, missing]


def test_scorecard_puts_the_worst_agency_first(three: list[Dataset]) -> None:
    scores = scorecard(Dataset.objects.all(), NOW)
    assert [(s.agency.code, s.on_time, s.late, s.missing) for s in scores] == [
        ("so-gtvt", 0, 0, 1),
        ("so-y-te", 1, 1, 0),
    ]
    health = scores[1]
    assert health.percent_on_time == 50
    assert health.worst_lag == dt.timedelta(hours=1)  # due at 17:00, it is 18:00
    assert [d.slug for d, _ in health.behind] == ["tre_han"]


def test_late_data_raises_one_event_per_dataset(three: list[Dataset]) -> None:
    assert check_freshness(NOW) == 2
    assert check_freshness(NOW + dt.timedelta(minutes=5)) == 0  # still unresolved: no repeat
    late = Event.objects.get(dedup_key=f"integrations:late:{three[1].pk}")
    assert late.category == "late-data" and late.severity == "moderate"
    assert late.headline == "Dữ liệu «tre_han» trễ hạn 1 giờ (Sở Y tế)"
    assert late.agency.code == "so-y-te" and late.link == "/ioc/data/tre_han/"
    missing = Event.objects.get(dedup_key=f"integrations:late:{three[2].pk}")
    assert missing.severity == "severe" and missing.headline.startswith("Thiếu dữ liệu «thieu»")


def test_compliance_page_is_scoped(
    client: Client, three: list[Dataset], make_user: Any, sectors: dict[str, Any]
) -> None:
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client.force_login(officer)
    response = client.get("/ioc/data/compliance/")
    assert response.status_code == 200
    assert [s.agency.code for s in response.context["scores"]] == ["so-y-te"]
