"""Page views: counted for readers (cached or not), not for programs; shown to the board;
written into the warehouse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ioc.portal import visits
from ioc.portal.models import PageVisits

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()
    visits.flush()
    PageVisits.objects.all().delete()


def test_readers_are_counted_programs_are_not(make_article: Any, board: dict[str, Any]) -> None:
    article = make_article("Tin được đọc")
    reader = Client(HTTP_USER_AGENT=BROWSER)
    for _ in range(3):  # built once, then from the cache
        assert reader.get(article.url).status_code == 200
    signed_in = Client(HTTP_USER_AGENT=BROWSER)
    signed_in.force_login(board["editor"])
    signed_in.get(article.url)
    for agent in ("Googlebot/2.1", "curl/8.5", "python-httpx/0.28", ""):
        Client(HTTP_USER_AGENT=agent).get(article.url)
    Client(HTTP_USER_AGENT=BROWSER).get("/feeds/rss.xml")  # not a page
    Client(HTTP_USER_AGENT=BROWSER).head(article.url)
    visits.flush()  # (a count may have been written already: at most every 10 s)
    row = PageVisits.objects.get()
    assert row.page_id == article.pk and row.day == timezone.localdate() and row.views == 4
    reader.get(article.url)
    visits.flush()
    assert PageVisits.objects.get().views == 5  # added to the day's row


def test_the_board_sees_the_figures(make_article: Any, board: dict[str, Any]) -> None:
    article = make_article("Tin nhiều người đọc")
    for _ in range(2):
        Client(HTTP_USER_AGENT=BROWSER).get(article.url)
    client = Client()
    client.force_login(board["writer"])
    html = client.get("/cms/reports/page-views/").content.decode()
    assert "Tin nhiều người đọc" in html and "Chính trị" in html
    assert Client().get("/cms/reports/page-views/").status_code == 302  # to the login


def test_the_counts_go_into_the_warehouse(
    make_article: Any, warehouse: Any, agencies: dict[str, Any]
) -> None:
    from ioc.warehouse.db import read_connection

    article = make_article("Tin trong kho dữ liệu")
    for _ in range(3):
        Client(HTTP_USER_AGENT=BROWSER).get(article.url)
    assert visits.publish_visits(timezone.now())["rows"] == 1
    Client(HTTP_USER_AGENT=BROWSER).get(article.url)
    assert visits.publish_visits(timezone.now())["rows"] == 1  # the day's row replaced
    with read_connection() as con:
        rows = con.execute(
            'SELECT tieu_de, chuyen_muc, luot_xem FROM data."portal_visits"'
        ).fetchall()
    assert rows == [("Tin trong kho dữ liệu", "Chính trị", 4)]
