"""The demo's dashboards: loaded from their YAML files, at least 420 charts, every chart
answered, and every rollup answer equal to the raw rows' answer."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ioc.accounts.choices import Role
from ioc.dashboards.code import DashboardFileError, dashboard_data, import_directory
from ioc.dashboards.models import Chart, Dashboard, Rollup
from ioc.dashboards.query import answer
from ioc.demo import charts as demo_charts


@pytest.fixture
def demo(warehouse: Any, make_user: Any) -> Any:
    call_command("demo", scale="tiny", stdout=StringIO())
    return make_user("xem-het", roles=[Role.LEADER], scope_all=True)


@pytest.mark.django_db
def test_the_demo_dashboards(demo, tmp_path):
    """One demo build (20 s) for three checks."""
    loaded_from_the_yaml_files()
    every_chart_answered_and_rollups_agree_with_raw_rows(demo)
    a_broken_file_changes_nothing_and_says_where(tmp_path)


def loaded_from_the_yaml_files() -> None:
    files = sorted(demo_charts.DIRECTORY.glob("*.yaml"))
    assert len(files) == Dashboard.objects.count() == 20  # the overview and 19 sectors
    assert Chart.objects.count() >= 420
    assert Dashboard.objects.filter(sector__isnull=True).count() == 1
    # The files hold what ioc/demo/charts.py writes: regenerating them changes nothing.
    written = {d["slug"]: d for d in demo_charts.dashboards()}
    for dashboard in Dashboard.objects.all():
        exported = dashboard_data(dashboard)
        expected = written[dashboard.slug]
        assert {c["key"]: c.get("question") for c in exported["charts"]} == {
            c["key"]: c.get("question") for c in expected["charts"]
        }


def every_chart_answered_and_rollups_agree_with_raw_rows(demo: Any) -> None:
    now = timezone.localtime().replace(tzinfo=None)
    assert Rollup.objects.filter(built=True).count() >= 1
    by_rollup = 0
    for chart in Chart.objects.select_related("dataset"):
        if chart.is_tile:  # a map tile asks no question
            continue
        fast = answer(chart.question, demo, now=now, use_cache=False)
        if not fast.rollup:
            continue
        by_rollup += 1
        raw = answer(chart.question, demo, now=now, use_cache=False, use_rollups=False)
        assert len(fast.rows) == len(raw.rows), chart.key
        for left, right in zip(fast.rows, raw.rows, strict=True):
            assert [pytest.approx(v) if isinstance(v, float) else v for v in left] == right, (
                chart.dashboard.slug,
                chart.key,
            )
    assert by_rollup >= 30  # the monthly charts of the daily datasets


def a_broken_file_changes_nothing_and_says_where(tmp_path: Path) -> None:
    before = {c.pk: c.question for c in Chart.objects.all()}
    good = (demo_charts.DIRECTORY / "y-te.yaml").read_text(encoding="utf-8")
    (tmp_path / "y-te.yaml").write_text(good.replace("luot_kham", "khong_co_cot"), "utf-8")
    (tmp_path / "hong.yaml").write_text("slug: hong\ncharts: [\n", "utf-8")
    with pytest.raises(DashboardFileError) as error:
        import_directory(tmp_path, actor=None)
    text = "\n".join(error.value.problems)
    assert "y-te.yaml › luot-kham-thang-nay" in text and "no column 'khong_co_cot'" in text
    assert "hong.yaml" in text and "YAML cannot be read" in text
    assert {c.pk: c.question for c in Chart.objects.all()} == before


def test_relative_ranges_in_the_files_mean_now():
    # The demo's charts ask for "the last N months": nothing in the files is a fixed date
    # except the former districts (before the July 2025 merger).
    fixed = [
        c["key"]
        for d in demo_charts.dashboards()
        for c in d["charts"]
        if "start" in c.get("question", {}).get("time", {})
    ]
    assert fixed and all("huyen-cu" in key for key in fixed)
    assert dt.date(2025, 7, 1).isoformat() in str(demo_charts.dashboards())
