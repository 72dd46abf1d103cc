"""Rollups answer exactly what the raw rows answer, stay in step with every change, and are
never used while behind; cached answers drop when a change touches their range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ioc.accounts.choices import Role
from ioc.dashboards import rollups
from ioc.dashboards.models import Rollup
from ioc.dashboards.query import answer
from ioc.dashboards.tests.conftest import load, make_rows
from ioc.warehouse.models import DataChange

NOW = dt.datetime(2025, 9, 15, 10, 30)

QUESTIONS: list[dict[str, Any]] = [
    {"metrics": [{"id": "v", "agg": "sum", "column": "luot"}]},
    {
        "metrics": [
            {"id": "v", "agg": "sum", "column": "luot"},
            {"id": "c", "agg": "count", "column": "chi_phi"},
            {"id": "n", "agg": "count"},
            {"id": "a", "agg": "avg", "column": "chi_phi"},
            {"id": "lo", "agg": "min", "column": "luot"},
            {"id": "hi", "agg": "max", "column": "chi_phi"},
            {"id": "g", "growth": "v"},
            {"id": "s", "share": "v"},
        ],
        "dimensions": [{"column": "ngay", "grain": "month"}],
    },
    {
        "metrics": [{"id": "v", "agg": "sum", "column": "luot"}],
        "dimensions": [{"column": "ngay", "grain": "week"}, {"column": "ma_xa"}],
        "filters": [{"column": "loai", "op": "eq", "value": "Ngoại trú"}],
    },
    {
        "metrics": [{"id": "v", "agg": "avg", "column": "luot"}],
        "dimensions": [{"column": "ma_xa", "level": "district"}, {"column": "loai"}],
        "time": {"start": "2025-06-01", "end": "2025-08-01"},
    },
    {
        "metrics": [
            {"id": "x", "agg": "count_distinct", "column": "ma_xa"},
            {"id": "k", "agg": "count_distinct", "column": "loai"},
        ],
        "dimensions": [{"column": "ngay", "grain": "month"}],
    },
    {
        "metrics": [{"id": "v", "agg": "sum", "column": "chi_phi"}],
        "dimensions": [{"column": "ngay", "grain": "quarter"}],
        "filters": [{"column": "ngay", "op": "gte", "value": "2025-07-01"}],
        "order": [{"by": "v", "desc": True}],
    },
]


@pytest.fixture
def boss(make_user: Any) -> Any:
    return make_user("boss", roles=[Role.LEADER], scope_all=True)


@pytest.fixture
def daily_and_monthly(kham: Any) -> tuple[Rollup, Rollup]:
    daily = rollups.build(rollups.define(kham, "ngay_xa_loai", grain="day", dimensions=["loai"]))
    monthly = rollups.build(rollups.define(kham, "thang_xa", grain="month"))
    return daily, monthly


def both(question: dict[str, Any], user: Any) -> tuple[Any, Any]:
    q = {"dataset": "kham", **question}
    return (
        answer(q, user, now=NOW, use_cache=False),
        answer(q, user, now=NOW, use_rollups=False, use_cache=False),
    )


def same(a: list[list[Any]], b: list[list[Any]]) -> None:
    """Equal rows; floats equal to rounding (sums in another order)."""
    assert len(a) == len(b)
    for left, right in zip(a, b, strict=True):
        assert [pytest.approx(v) if isinstance(v, float) else v for v in left] == right


@pytest.mark.parametrize("index", range(len(QUESTIONS)))
def test_every_question_has_the_same_answer_from_a_rollup_as_from_raw_rows(
    daily_and_monthly, boss, index
):
    from_rollup, raw = both(QUESTIONS[index], boss)
    assert from_rollup.rollup, "a rollup should answer this question"
    assert not raw.rollup
    same(from_rollup.rows, raw.rows)


def test_the_smallest_rollup_that_answers_is_chosen(daily_and_monthly, boss):
    daily, monthly = daily_and_monthly
    assert monthly.rows < daily.rows
    by_month, _ = both(QUESTIONS[1], boss)
    assert by_month.rollup == monthly.table
    by_kind, _ = both(QUESTIONS[2], boss)  # weeks and kinds: only the daily one has them
    assert by_kind.rollup == daily.table


def test_questions_a_rollup_cannot_answer_read_raw_rows(daily_and_monthly, boss):
    for question in [
        {"metrics": [{"id": "d", "agg": "count_distinct", "column": "chi_phi"}]},
        {
            "metrics": [{"id": "v", "agg": "sum", "column": "luot"}],
            "time": {"start": "2025-06-15T12:00:00"},
        },
        {
            "metrics": [{"id": "v", "agg": "last", "column": "luot"}],
            "dimensions": [{"column": "ngay", "grain": "month"}],
        },
    ]:
        from_rollup, raw = both(question, boss)
        assert from_rollup.rollup == ""
        same(from_rollup.rows, raw.rows)


def test_a_change_refreshes_only_its_periods_and_answers_stay_equal(kham, daily_and_monthly, boss):
    daily, monthly = daily_and_monthly
    # New September days, and August days corrected (same keys, new values).
    late = make_rows(dt.date(2025, 8, 25), 14, seed=99)
    load(kham, late, first_row=10_000)
    for rollup in (daily, monthly):
        rollup.refresh_from_db()
        assert rollup.change_id == DataChange.objects.latest("id").pk
        assert not rollup.error
    for question in QUESTIONS:
        from_rollup, raw = both(question, boss)
        assert from_rollup.rollup
        same(from_rollup.rows, raw.rows)


def test_a_rollup_behind_its_data_is_not_used(kham, daily_and_monthly, boss):
    daily, monthly = daily_and_monthly
    Rollup.objects.filter(pk__in=[daily.pk, monthly.pk]).update(change_id=0)
    from_rollup, raw = both(QUESTIONS[1], boss)
    assert from_rollup.rollup == ""
    same(from_rollup.rows, raw.rows)


def test_cached_answers_drop_when_a_change_touches_their_range(kham, boss):
    august = {
        "dataset": "kham",
        "metrics": [{"id": "v", "agg": "sum", "column": "luot"}],
        "time": {"start": "2025-08-01", "end": "2025-09-01"},
    }
    may = {**august, "time": {"start": "2025-05-01", "end": "2025-06-01"}}
    first = answer(august, boss, now=NOW)
    assert not first.cached
    assert answer(august, boss, now=NOW).cached
    answer(may, boss, now=NOW)
    load(kham, make_rows(dt.date(2025, 8, 30), 2, seed=5), first_row=20_000)
    again = answer(august, boss, now=NOW)
    assert not again.cached and again.rows != first.rows
    assert answer(may, boss, now=NOW).cached  # May was not touched


def test_cached_answers_are_per_scope(kham, boss, make_user, units):
    officer = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    question = {"dataset": "kham", "metrics": [{"id": "n", "agg": "count"}]}
    everything = answer(question, boss, now=NOW)
    mine = answer(question, officer, now=NOW)
    assert not mine.cached
    assert mine.rows[0][0] < everything.rows[0][0]
