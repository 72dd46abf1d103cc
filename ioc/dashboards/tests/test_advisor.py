"""Rollups chosen from the charts in use: what they keep, and that they answer those charts."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core.management import call_command

from ioc.accounts.choices import Role
from ioc.dashboards import advisor
from ioc.dashboards.code import import_texts
from ioc.dashboards.models import Chart, Rollup
from ioc.dashboards.query import answer

BOARD = """
slug: y-te
name: Y tế
charts:
  - key: theo-thang
    name: Theo tháng
    kind: line
    question:
      dataset: kham
      metrics: [{id: v, agg: sum, column: luot}, {id: g, growth: v}]
      dimensions: [{column: ngay, grain: month}]
      time: {last: 24 months}
  - key: theo-quy-loai
    name: Theo quý và loại
    kind: stacked_bar
    question:
      dataset: kham
      metrics: [{id: v, agg: avg, column: chi_phi}]
      dimensions: [{column: ngay, grain: quarter}, {column: loai}]
  - key: xa-rieng
    name: Số xã
    kind: kpi
    question:
      dataset: kham
      metrics: [{id: v, agg: count_distinct, column: ma_xa}]
"""


def test_the_charts_in_use_choose_the_rollup_and_it_answers_them(kham: Any, make_user: Any):
    import_texts({"y-te.yaml": BOARD}, actor=None)
    proposal = advisor.suggest(kham)
    assert proposal is not None
    # Months and quarters need months; "last 24 months" too; the distinct count of communes
    # keeps the commune column (which every rollup keeps anyway).
    assert (proposal.grain, proposal.dimensions, proposal.measures, proposal.charts) == (
        "month",
        {"loai", "ma_xa"},
        {"luot", "chi_phi"},
        3,
    )
    out = StringIO()
    call_command("dashboards", "rollups", "--auto", stdout=out, stderr=out)
    rollup = Rollup.objects.get(name=advisor.AUTO_NAME)
    assert "kham: month" in out.getvalue()
    boss = make_user("boss", roles=[Role.LEADER], scope_all=True)
    now = dt.datetime(2025, 9, 15, 10, 0)
    for chart in Chart.objects.all():
        fast = answer(chart.question, boss, now=now, use_cache=False)
        raw = answer(chart.question, boss, now=now, use_cache=False, use_rollups=False)
        assert fast.rollup == rollup.table
        assert len(fast.rows) == len(raw.rows)
        for a, b in zip(fast.rows, raw.rows, strict=True):
            assert [round(v, 6) if isinstance(v, float) else v for v in a] == [
                round(v, 6) if isinstance(v, float) else v for v in b
            ]


def test_a_rollup_as_big_as_its_table_is_not_kept(kham: Any):
    daily = BOARD.replace("grain: month", "grain: day").replace("grain: quarter", "grain: day")
    import_texts({"y-te.yaml": daily}, actor=None)
    rollup, note = advisor.apply(kham)  # days x wards x kinds: the table's own grain
    assert rollup is None and "not worth keeping" in note
    assert not Rollup.objects.filter(name=advisor.AUTO_NAME).exists()
