"""Articles show the IOC's public charts and dashboards, picked in the CMS."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from wagtail import blocks

from ioc.dashboards.code import import_texts
from ioc.dashboards.models import Chart, Dashboard
from ioc.portal.blocks import PublicChartBlock, PublicDashboardBlock

pytestmark = pytest.mark.django_db
BOARD = """
slug: khong-khi
name: Không khí
public: {public}
charts:
  - key: {key}
    name: Bụi mịn theo ngày
    kind: line
    question:
      dataset: {dataset}
      metrics: [{{id: v, agg: avg, column: pm25}}]
      dimensions: [{{column: ngay, grain: day}}]
"""


@pytest.fixture
def charts(make_dataset: Any) -> dict[str, Chart]:
    columns = [
        {"name": "ngay", "type": "date", "role": "time"},
        {"name": "pm25", "type": "decimal", "role": "measure"},
    ]
    make_dataset("khong_khi", columns).__class__.objects.filter(slug="khong_khi").update(
        is_open=True
    )
    make_dataset("noi_bo", columns)
    import_texts(
        {
            "a.yaml": BOARD.format(public="true", key="mo", dataset="khong_khi"),
            "b.yaml": BOARD.format(public="true", key="dong", dataset="noi_bo").replace(
                "khong-khi", "noi-bo"
            ),
        },
        actor=None,
    )
    return {c.key: c for c in Chart.objects.all()}


def test_an_article_shows_a_public_chart_live_and_drops_it_when_it_is_withdrawn(
    charts: dict[str, Chart], make_article: Any
) -> None:
    chart = charts["mo"]
    dashboard = Dashboard.objects.get(slug="khong-khi")
    article = make_article(
        "Không khí hôm nay",
        body=[
            ("chart", {"chart": chart, "caption": "Trạm quan trắc"}),
            ("dashboard", {"dashboard": dashboard, "charts": 2}),
        ],
    )
    html = Client().get(article.url).content.decode()
    frames = re.findall(r'<iframe src="([^"]+)" title="([^"]+)" loading="lazy"', html)
    assert frames == [(f"/dashboards/charts/{chart.pk}/embed/", "Bụi mịn theo ngày")] * 2
    assert "Trạm quan trắc" in html and 'href="/dashboards/khong-khi/"' in html
    for src, _title in frames:
        assert Client().get(src).status_code == 200
    Dashboard.objects.filter(pk=dashboard.pk).update(public=False)
    cache.clear()  # the portal's copy of the page (a publish would refresh it too)
    assert "<iframe" not in Client().get(article.url).content.decode()


def test_only_public_charts_can_be_picked(charts: dict[str, Chart]) -> None:
    with pytest.raises(blocks.StructBlockValidationError):
        PublicChartBlock().clean({"chart": charts["dong"], "caption": ""})
    PublicChartBlock().clean({"chart": charts["mo"], "caption": ""})
    closed = Dashboard.objects.get(slug="noi-bo")
    with pytest.raises(blocks.StructBlockValidationError):
        PublicDashboardBlock().clean({"dashboard": closed, "charts": 4})


def test_the_cms_chooser_lists_public_charts_only(
    charts: dict[str, Chart], board: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(board["editor"])
    listed = client.get("/cms/public-charts/results/").content.decode()
    assert f"/cms/public-charts/chosen/{charts['mo'].pk}/" in listed
    assert f"/cms/public-charts/chosen/{charts['dong'].pk}/" not in listed
    boards = client.get("/cms/public-dashboards/results/").content.decode()
    assert "Không khí" in boards and "noi-bo" not in boards
    assert Client().get("/cms/public-charts/").status_code == 302  # the CMS needs a login
