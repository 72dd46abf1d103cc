"""Pages write the addresses of their pictures; the files are made when a browser asks."""

from __future__ import annotations

import io
import random
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image as Pillow
from wagtail.images.models import Image, Rendition

from ioc.demo.portal import _picture

pytestmark = pytest.mark.django_db
MAGIC = {"image/avif": b"ftypavif", "image/webp": b"WEBP", "image/jpeg": b"\xff\xd8\xff"}


@pytest.fixture
def pictured(make_article: Any) -> tuple[Any, Image]:
    cache.clear()
    image = Image.objects.create(
        title="Cầu mới", file=ContentFile(_picture(random.Random(3), 1), name="cau.jpg")
    )
    return make_article("Khánh thành cầu", lead_image=image, lead_image_alt="Cây cầu"), image


def _addresses(html: str) -> dict[str, str]:
    """Every picture address on the page, with the type its <source> declares."""
    found: dict[str, str] = {}
    for tag in re.findall(r"<(?:source|img)\b[^>]*>", html):
        kind = re.search(r'type="([^"]+)"', tag)
        for attribute in re.findall(r'(?:srcset|src)="([^"]+)"', tag):
            for item in attribute.split(", "):
                address = item.split(" ")[0]
                if "/media/renditions/" in address:
                    found[address] = kind.group(1) if kind else "image/jpeg"
    return found


def test_drawing_a_page_encodes_no_image(pictured: tuple[Any, Image]) -> None:
    article, _image = pictured
    for address in ("/", article.url):
        response = Client().get(address)
        assert response.status_code == 200
    assert Rendition.objects.count() == 0
    html = Client().get(article.url).content.decode()
    lead = re.search(r"<picture>.*?</picture>", html, re.S)
    assert lead and 'alt="Cây cầu"' in lead.group(0) and 'loading="eager"' in lead.group(0)
    # the declared size of the fallback is the size of the file the browser will get
    img = re.search(
        r'<img alt="Cây cầu" height="(\d+)"[^>]* src="([^"]+)"[^>]* width="(\d+)"', html
    )
    assert img is not None
    body = b"".join(Client().get(img.group(2)).streaming_content)
    assert Pillow.open(io.BytesIO(body)).size == (int(img.group(3)), int(img.group(1)))


def test_each_address_gives_the_format_and_width_it_promises(pictured: tuple[Any, Image]) -> None:
    article, image = pictured
    html = Client().get(article.url).content.decode()
    addresses = _addresses(html)
    assert set(addresses.values()) == {"image/avif", "image/webp", "image/jpeg"}
    share = re.search(r'<meta property="og:image" content="http://testserver([^"]+)"', html)
    assert share is not None
    addresses[share.group(1)] = "image/jpeg"
    for address, kind in addresses.items():
        response = Client().get(address)
        assert response.status_code == 200, address
        assert response["Content-Type"] == kind
        assert "public" in response["Cache-Control"]
        assert MAGIC[kind] in b"".join(response.streaming_content)[:16], address
    made = Rendition.objects.filter(image=image).count()
    assert made == len(addresses)  # one file per address, each made once
    for address in addresses:
        Client().get(address)
    assert Rendition.objects.filter(image=image).count() == made


def test_only_the_addresses_pages_wrote_are_answered(pictured: tuple[Any, Image]) -> None:
    article, image = pictured
    address = next(iter(_addresses(Client().get(article.url).content.decode())))
    _, signature, image_id, spec, name = address.rsplit("/", 4)
    base = "/media/renditions"
    for bad in (
        f"{base}/{signature[:-2]}xx/{image_id}/{spec}/{name}",  # a forged signature
        f"{base}/{signature}/{image_id}/width-4000%7Cformat-avif/{name}",  # another size
        f"{base}/{signature}/{int(image_id) + 1}/{spec}/{name}",  # another image
    ):
        assert Client().get(bad).status_code == 404, bad
    assert Client().post(address).status_code == 405
    assert Rendition.objects.count() == 0
    image.file.storage.delete(image.file.name)  # the original is gone: say so, do not fail
    assert Client().get(address).status_code == 410
