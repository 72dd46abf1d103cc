"""Public dashboards: everyone sees the charts of open data on a dashboard marked public,
and nothing else; the same charts embed in the portal's articles."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.dashboards.code import dashboard_data, import_texts
from ioc.dashboards.models import Chart, Dashboard
from ioc.dashboards.query import answer
from ioc.dashboards.tests.test_api import BOARD, TRAFFIC
from ioc.warehouse.access import PUBLIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(kham: Any, make_dataset: Any, agencies: Any) -> dict[str, Any]:
    """Health (kham) is open data, traffic is not; both dashboards are public, and a third
    one of open data is not."""
    make_dataset(
        "tai_nan",
        [
            {"name": "ngay", "type": "date", "role": "time"},
            {"name": "so_vu", "type": "integer", "role": "measure"},
        ],
        owner=agencies["traffic"],
    )
    kham.is_open = True
    kham.save()
    private = BOARD.replace("slug: y-te", "slug: noi-bo").replace("key: luot", "key: nb-luot")
    saved = import_texts(
        {
            "y-te.yaml": BOARD.replace("sector: health", "sector: health\npublic: true"),
            "giao-thong.yaml": TRAFFIC.replace("sector: traffic", "sector: traffic\npublic: true"),
            "noi-bo.yaml": private,
        },
        actor=None,
    )
    return {d.slug: d for d in saved}


def test_everyone_sees_the_open_charts_of_public_dashboards_only(published: Any) -> None:
    anyone = Client()
    listed = anyone.get("/dashboards/").content.decode()
    assert "/dashboards/y-te/" in listed
    assert "/dashboards/giao-thong/" not in listed  # public, but nothing of it is open data
    assert "/dashboards/noi-bo/" not in listed
    page = anyone.get("/dashboards/y-te/")
    html = page.content.decode()
    assert page.status_code == 200 and "Lượt khám theo xã" in html
    assert "/dashboards/charts/" in html and "/api/dashboards/" not in html
    assert "export.csv" not in html  # no staff downloads on the public page
    for hidden in ("giao-thong", "noi-bo", "nothing"):
        assert anyone.get(f"/dashboards/{hidden}/").status_code == 404


def test_public_figures_are_every_row_of_open_data_and_nothing_of_the_rest(
    published: Any, make_user: Any
) -> None:
    anyone = Client()
    chart = Chart.objects.get(key="luot-theo-xa")
    response = anyone.get(f"/dashboards/charts/{chart.pk}/data")
    assert response.status_code == 200 and "public" in response["Cache-Control"]
    data = response.json()
    everything = answer(chart.question, make_user("boss", is_superuser=True))
    assert data["rows"] == everything.rows and len(data["rows"]) > 1  # all wards, not one
    assert "rollup" not in data and "seconds" not in data
    assert data["freshness"]["status"]
    kpi = anyone.get(f"/dashboards/charts/{Chart.objects.get(key='luot-thang-nay').pk}/data")
    assert "previous" in kpi.json()  # it compares with the previous period, as for staff
    closed = Chart.objects.get(key="tai-nan")
    private = Chart.objects.get(key="nb-luot-theo-xa")
    for pk in (closed.pk, private.pk, 999999):
        assert anyone.get(f"/dashboards/charts/{pk}/data").status_code == 404
        assert anyone.get(f"/dashboards/charts/{pk}/embed/").status_code == 404
    assert anyone.post(f"/dashboards/charts/{chart.pk}/data").status_code == 405


def test_the_public_reader_cannot_ask_about_closed_datasets(published: Any) -> None:
    from ioc.dashboards.semantic import QuestionError

    with pytest.raises(QuestionError):
        answer({"dataset": "tai_nan", "metrics": [{"id": "n", "agg": "count"}]}, PUBLIC)


def test_a_chart_embeds_in_any_page(published: Any) -> None:
    chart = Chart.objects.get(key="luot-theo-xa")
    response = Client().get(f"/dashboards/charts/{chart.pk}/embed/")
    html = response.content.decode()
    assert response.status_code == 200 and "X-Frame-Options" not in response
    assert f'data-url="/dashboards/charts/{chart.pk}/data"' in html and "data-public" in html
    assert 'href="/dashboards/y-te/#chart-luot-theo-xa"' in html
    # a dashboard made private takes its charts off at once
    Dashboard.objects.filter(slug="y-te").update(public=False)
    assert Client().get(f"/dashboards/charts/{chart.pk}/embed/").status_code == 404


def test_public_is_kept_in_the_dashboards_files(published: Any) -> None:
    assert dashboard_data(published["y-te"])["public"] is True
    assert "public" not in dashboard_data(published["noi-bo"])
    with pytest.raises(Exception, match="public must be true or false"):
        import_texts({"x.yaml": BOARD.replace("sector: health", "public: 'yes'")}, actor=None)
