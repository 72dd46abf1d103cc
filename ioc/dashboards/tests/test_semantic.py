"""The semantic layer against the real warehouse (DuckDB file, or PostgreSQL on that pass):
answers checked against sums computed here from the rows loaded."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from ioc.accounts.choices import Role
from ioc.dashboards.query import answer, plan
from ioc.dashboards.semantic import QuestionError
from ioc.warehouse import writer

NOW = dt.datetime(2025, 9, 15, 10, 30)
# Where each recorded ward rolls up today.
CURRENT = {"25744": "25750", "25753": "25747", "25756": "25747", "25747": "25747", "25750": "25750"}


@pytest.fixture
def boss(make_user: Any) -> Any:
    return make_user("boss", roles=[Role.LEADER], scope_all=True)


def ask(user: Any, **question: Any) -> Any:
    return answer({"dataset": "kham", **question}, user, now=NOW)


def by_month(rows: list[dict[str, Any]], key: Any, value: str = "luot") -> dict[Any, float]:
    totals: dict[Any, float] = defaultdict(float)
    for r in rows:
        if r[value] is not None:
            totals[key(r)] += r[value]
    return dict(totals)


def test_sum_by_month_and_commune_rolls_old_wards_into_their_successors(kham, boss):
    result = ask(
        boss,
        metrics=[{"id": "visits", "agg": "sum", "column": "luot"}],
        dimensions=[{"column": "ngay", "grain": "month"}, {"column": "ma_xa"}],
    )
    got = {(row[0], row[1]): row[3] for row in result.rows}
    expected = by_month(
        kham.rows, lambda r: (r["ngay"].replace(day=1).isoformat(), CURRENT[r["ma_xa"]])
    )
    assert got == expected
    names = {row[1]: row[2] for row in result.rows}
    assert names == {"25747": "Phường Thủ Dầu Một", "25750": "Phường Phú Lợi"}
    assert [c["kind"] for c in result.columns] == ["time", "unit", "unit_name", "metric"]


def test_levels_recorded_district_and_province(kham, boss):
    metric = [{"id": "visits", "agg": "sum", "column": "luot"}]
    recorded = ask(boss, metrics=metric, dimensions=[{"column": "ma_xa", "level": "recorded"}])
    assert {r[0]: r[2] for r in recorded.rows} == by_month(kham.rows, lambda r: r["ma_xa"])
    province = ask(boss, metrics=metric, dimensions=[{"column": "ma_xa", "level": "province"}])
    assert [(r[0], r[2]) for r in province.rows] == [("79", sum(r["luot"] for r in kham.rows))]
    district = ask(boss, metrics=metric, dimensions=[{"column": "ma_xa", "level": "district"}])
    # The old tree's district holds the old wards (25744 was never reused); the new wards
    # belong to no district.
    got = {r[0]: r[2] for r in district.rows}
    assert got["718"] == sum(
        r["luot"] for r in kham.rows if r["ma_xa"] in ("25744", "25753", "25756")
    )


def test_filters_time_range_order_and_limit(kham, boss):
    result = ask(
        boss,
        metrics=[{"id": "visits", "agg": "sum", "column": "luot"}],
        dimensions=[{"column": "ma_xa"}],
        filters=[
            {"column": "loai", "op": "in", "value": ["Nội trú"]},
            {"column": "ma_xa", "op": "eq", "value": "25747", "level": "commune"},
        ],
        time={"start": "2025-06-01", "end": "2025-08-01"},
        order=[{"by": "visits", "desc": True}],
        limit=5,
    )
    expected = sum(
        r["luot"]
        for r in kham.rows
        if r["loai"] == "Nội trú"
        and CURRENT[r["ma_xa"]] == "25747"
        and dt.date(2025, 6, 1) <= r["ngay"] < dt.date(2025, 8, 1)
    )
    assert result.rows == [["25747", "Phường Thủ Dầu Một", expected]]
    last = ask(
        boss,
        metrics=[{"id": "n", "agg": "count"}],
        time={"last": "30 days"},
    )
    since = NOW.date() - dt.timedelta(days=29)
    assert last.rows == [[sum(1 for r in kham.rows if r["ngay"] >= since)]]


def test_avg_min_max_count_distinct_ratio_share_and_growth(kham, boss):
    result = ask(
        boss,
        metrics=[
            {"id": "visits", "agg": "sum", "column": "luot"},
            {"id": "cost", "agg": "sum", "column": "chi_phi"},
            {"id": "mean", "agg": "avg", "column": "chi_phi"},
            {"id": "low", "agg": "min", "column": "luot"},
            {"id": "high", "agg": "max", "column": "luot"},
            {"id": "wards", "agg": "count_distinct", "column": "ma_xa"},
            {"id": "per_visit", "ratio": ["cost", "visits"]},
            {"id": "share", "share": "visits"},
            {"id": "growth", "growth": "visits"},
        ],
        dimensions=[{"column": "ngay", "grain": "month"}],
    )
    months = [r[0] for r in result.rows]
    assert months == ["2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01"]
    visits = by_month(kham.rows, lambda r: r["ngay"].replace(day=1).isoformat())
    costs = by_month(kham.rows, lambda r: r["ngay"].replace(day=1).isoformat(), "chi_phi")
    total = sum(visits.values())
    previous = None
    for month, v, c, mean, low, high, wards, per_visit, share, growth in result.rows:
        rows = [r for r in kham.rows if r["ngay"].replace(day=1).isoformat() == month]
        priced = [r["chi_phi"] for r in rows if r["chi_phi"] is not None]
        assert v == visits[month]
        assert c == pytest.approx(costs[month])
        assert mean == pytest.approx(sum(priced) / len(priced))
        assert (low, high) == (min(r["luot"] for r in rows), max(r["luot"] for r in rows))
        assert wards == len({r["ma_xa"] for r in rows})
        assert per_visit == pytest.approx(c / v)
        assert share == pytest.approx(100 * v / total)
        if previous is None:
            assert growth is None
        else:
            assert growth == pytest.approx(100 * (v - previous) / previous)
        previous = v


def test_last_value_per_period(make_dataset, boss):
    dataset = make_dataset(
        "hoc_sinh",
        [
            {"name": "thang", "type": "date", "role": "time"},
            {"name": "ma_xa", "type": "text", "role": "unit"},
            {"name": "so_hs", "type": "integer", "role": "measure"},
        ],
        key=["thang", "ma_xa"],
    )
    import pyarrow as pa

    rows = [
        (dt.date(2025, 1, 1), "25747", 100),
        (dt.date(2025, 2, 1), "25747", 110),
        (dt.date(2025, 1, 1), "25750", 50),
        (dt.date(2025, 2, 1), "25750", 55),
        (dt.date(2026, 1, 1), "25747", 120),
    ]
    table = pa.table(
        {
            "thang": pa.array([r[0] for r in rows], pa.date32()),
            "ma_xa": pa.array([r[1] for r in rows]),
            "so_hs": pa.array([r[2] for r in rows], pa.int64()),
            "_row": pa.array(range(len(rows)), pa.int64()),
        }
    )
    writer.write_batch(dataset.slug, dataset.parsed_schema, table, source="t")
    result = answer(
        {
            "dataset": "hoc_sinh",
            "metrics": [{"id": "pupils", "agg": "last", "column": "so_hs"}],
            "dimensions": [{"column": "thang", "grain": "year"}],
        },
        boss,
        now=NOW,
    )
    assert result.rows == [["2025-01-01", 165], ["2026-01-01", 120]]


def test_indicators_bring_their_measure_aggregation_and_filters(kham, boss):
    from ioc.warehouse.models import Indicator, IndicatorGroup

    group = IndicatorGroup.objects.create(sector=kham.sector, name="Khám chữa bệnh")
    Indicator.objects.create(
        code="y-te.noi-tru",
        name="Lượt khám nội trú",
        group=group,
        dataset=kham,
        measure="luot",
        aggregation="sum",
        filters={"loai": "Nội trú"},
        owner=kham.owner,
    )
    result = answer({"metrics": [{"id": "v", "indicator": "y-te.noi-tru"}]}, boss, now=NOW)
    assert result.rows == [[sum(r["luot"] for r in kham.rows if r["loai"] == "Nội trú")]]


# -- scope --------------------------------------------------------------------------------


def test_a_commune_officer_sees_only_the_rows_of_their_commune_old_and_new(kham, make_user, units):
    officer = make_user("phuloi", roles=[Role.SECTOR_OFFICER], units=[units["new_pl"]])
    result = answer(
        {
            "dataset": "kham",
            "metrics": [{"id": "n", "agg": "sum", "column": "luot"}],
            "dimensions": [{"column": "ma_xa", "level": "recorded"}],
        },
        officer,
        now=NOW,
    )
    assert {r[0] for r in result.rows} == {"25744", "25750"}
    # Asking for another commune's rows by filter gives nothing, not an error.
    other = answer(
        {
            "dataset": "kham",
            "metrics": [{"id": "n", "agg": "count"}],
            "filters": [{"column": "ma_xa", "op": "eq", "value": "25753"}],
        },
        officer,
        now=NOW,
    )
    assert other.rows == [[0]]


def test_a_health_officer_asking_for_traffic_data_learns_nothing(
    kham, make_dataset, make_user, agencies, sectors
):
    make_dataset(
        "tai_nan",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "so_vu", "type": "integer", "role": "measure"},
        ],
        owner=agencies["traffic"],
    )
    health = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    question = {"metrics": [{"id": "n", "agg": "sum", "column": "so_vu"}]}
    with pytest.raises(QuestionError) as hidden:
        answer({"dataset": "tai_nan", **question}, health, now=NOW)
    with pytest.raises(QuestionError) as missing:
        answer({"dataset": "khong_co", **question}, health, now=NOW)
    assert str(hidden.value).replace("tai_nan", "X") == str(missing.value).replace("khong_co", "X")


def test_no_scope_no_rows(kham, make_user):
    nobody = make_user("nobody", roles=[Role.LEADER])  # a role but no scope at all
    with pytest.raises(QuestionError):
        answer({"dataset": "kham", "metrics": [{"id": "n", "agg": "count"}]}, nobody, now=NOW)


# -- bad questions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ({"metrics": [{"id": "x", "agg": "sum", "column": "khong_co"}]}, "no column 'khong_co'"),
        ({"metrics": [{"id": "x", "agg": "sum", "column": "loai"}]}, "sum cannot apply"),
        (
            {
                "metrics": [{"id": "x", "agg": "count"}],
                "dimensions": [{"column": "ngay", "grain": "hour"}],
            },
            "has no hours",
        ),
        (
            {
                "metrics": [{"id": "x", "agg": "count"}],
                "dimensions": [{"column": "loai", "grain": "month"}],
            },
            "only the time column has a grain",
        ),
        (
            {
                "metrics": [{"id": "x", "agg": "count"}],
                "filters": [{"column": "luot", "op": "gt", "value": "nhiều"}],
            },
            "does not fit column 'luot'",
        ),
        ({"metrics": [{"id": "x", "agg": "count"}], "time": {"last": "mãi mãi"}}, "not understood"),
        ({"metrics": [{"id": "x", "ratio": ["y", "z"]}]}, "not a base metric"),
        ({"metrics": [{"id": "x", "agg": "median", "column": "luot"}]}, "invalid question"),
        ({"metrics": [{"id": "x", "agg": "count", "sql": "1"}]}, "invalid question"),
        (
            {
                "metrics": [{"id": "x", "agg": "count"}],
                "order": [{"by": "luot; DROP TABLE data.kham"}],
            },
            "cannot order by",
        ),
        ({"metrics": [{"id": "x; DROP TABLE data.kham", "agg": "count"}]}, "invalid question"),
        (
            {
                "metrics": [{"id": "x", "agg": "count"}],
                "dimensions": [{"column": 'ngay" ; DROP TABLE data.kham; --'}],
            },
            "has no column",
        ),
    ],
)
def test_bad_questions_get_clear_bilingual_errors(kham, boss, question, words):
    with pytest.raises(QuestionError) as error:
        answer({"dataset": "kham", **question}, boss, now=NOW)
    assert words in str(error.value)
    assert " / " in str(error.value)  # Vietnamese / English
    assert writer.execute("SELECT count(*) FROM data.kham")[0][0] == len(kham.rows)


def test_bad_dataset_names_never_reach_sql(kham, boss):
    with pytest.raises(QuestionError):
        answer(
            {"dataset": "kham; DROP TABLE data.kham", "metrics": [{"id": "n", "agg": "count"}]},
            boss,
        )


def test_values_are_bound_never_written_into_the_sql(kham, boss):
    attack = "Nội trú'; DROP TABLE data.kham; --"
    _, compiled = plan(
        {
            "dataset": "kham",
            "metrics": [{"id": "n", "agg": "count"}],
            "filters": [{"column": "loai", "op": "eq", "value": attack}],
        },
        boss,
        now=NOW,
    )
    assert attack not in compiled.sql and "DROP" not in compiled.sql
    assert attack in compiled.params
    result = answer(
        {
            "dataset": "kham",
            "metrics": [{"id": "n", "agg": "count"}],
            "filters": [{"column": "loai", "op": "eq", "value": attack}],
        },
        boss,
        now=NOW,
    )
    assert result.rows == [[0]]
    assert writer.execute("SELECT count(*) FROM data.kham")[0][0] == len(kham.rows)


def test_a_reused_code_is_read_by_the_records_date(make_dataset, boss):
    """25747 was Phường Phú Cường until June 2025 and is Phường Thủ Dầu Một since July."""
    dataset = make_dataset(
        "ho_tich",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "ma_xa", "type": "text", "role": "unit"},
            {"name": "so_viec", "type": "integer", "role": "measure"},
        ],
        key=["ngay", "ma_xa"],
    )
    import pyarrow as pa

    table = pa.table(
        {
            "ngay": pa.array([dt.date(2025, 6, 30), dt.date(2025, 7, 1)], pa.date32()),
            "ma_xa": ["25747", "25747"],
            "so_viec": pa.array([5, 7], pa.int64()),
            "_row": pa.array([1, 2], pa.int64()),
        }
    )
    writer.write_batch(dataset.slug, dataset.parsed_schema, table, source="t")
    metric = [{"id": "n", "agg": "sum", "column": "so_viec"}]

    def by(level: str) -> list[list[Any]]:
        return answer(
            {
                "dataset": "ho_tich",
                "metrics": metric,
                "dimensions": [{"column": "ma_xa", "level": level}],
            },
            boss,
            now=NOW,
        ).rows

    assert by("recorded") == [["25747", "Phường Phú Cường", 5], ["25747", "Phường Thủ Dầu Một", 7]]
    assert by("district") == [["718", "Thành phố Thủ Dầu Một", 5], [None, None, 7]]
    assert by("commune") == [["25747", "Phường Thủ Dầu Một", 12]]
