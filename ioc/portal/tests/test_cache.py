"""Readers get the portal's pages from a cache that a publish refreshes at once."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_a_reader_gets_one_shared_copy_without_a_token(make_article: Any) -> None:
    article = make_article("Tin trong bộ nhớ đệm")
    first, second = Client().get(article.url), Client().get(article.url)
    assert first["X-Portal-Cache"] == "miss" and second["X-Portal-Cache"] == "hit"
    assert first.content == second.content
    assert not second.cookies and "csrf" not in second.content.decode().lower()
    assert second["X-Frame-Options"] == "SAMEORIGIN"  # the headers are kept with the copy
    assert Client().get("/feeds/rss.xml")["X-Portal-Cache"] == "miss"
    assert Client().get("/feeds/rss.xml")["X-Portal-Cache"] == "hit"


def test_a_publish_shows_at_once(make_article: Any, section: Any) -> None:
    make_article("Tin cũ")
    assert "Tin cũ" in Client().get("/").content.decode()
    assert Client().get("/")["X-Portal-Cache"] == "hit"
    article = make_article("Tin vừa đăng", live=False)
    article.save_revision().publish()
    response = Client().get("/")
    assert response["X-Portal-Cache"] == "miss" and "Tin vừa đăng" in response.content.decode()
    article.refresh_from_db()
    article.unpublish()
    assert "Tin vừa đăng" not in Client().get("/").content.decode()
    assert "Tin vừa đăng" not in Client().get("/feeds/rss.xml").content.decode()


def test_signed_in_visitors_and_other_languages_get_their_own_page(
    make_article: Any, board: dict[str, Any]
) -> None:
    article = make_article("Tin song ngữ")
    Client().get(article.url)
    english = Client()
    english.get("/i18n/en/")  # a Vietnamese address stays Vietnamese: the same cached page
    response = english.get(article.url)
    assert response["X-Portal-Cache"] == "hit" and '<html lang="vi">' in response.content.decode()
    signed_in = Client()
    signed_in.force_login(board["editor"])
    response = signed_in.get(article.url)
    assert "X-Portal-Cache" not in response
    assert "Vũ" not in Client().get(article.url).content.decode()  # nobody's name is kept


def test_nothing_else_is_cached(make_article: Any, settings: Any) -> None:
    for address in ("/feedback/", "/search/?q=tin", "/healthz"):
        Client().get(address)
        assert "X-Portal-Cache" not in Client().get(address), address
    settings.IOC_PORTAL_CACHE_SECONDS = 0
    article = make_article("Không giữ")
    assert "X-Portal-Cache" not in Client().get(article.url)


def test_renditions_are_served_and_nothing_beside_them(make_article: Any) -> None:
    from django.core.files.base import ContentFile
    from wagtail.images.models import Image

    from ioc.demo.portal import _picture

    image = Image.objects.create(
        title="Ảnh", file=ContentFile(_picture(random.Random(1), 0), name="a.jpg")
    )
    rendition = image.get_rendition("fill-320x200|format-webp")
    response = Client().get(rendition.url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    original = image.file.name.rsplit("/", 1)[-1]
    for bad in (f"../original_images/{original}", "..%2Foriginal_images%2Fa.jpg", ".hidden"):
        assert Client().get(f"/media/images/{bad}").status_code == 404
