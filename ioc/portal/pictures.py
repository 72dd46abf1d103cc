"""Pictures made when a browser asks for them, not while the page is drawn.

Wagtail's ``{% picture %}`` makes every rendition a ``<picture>`` lists (three formats times
three widths) while it renders the page: the first reader of a new article, or of the home
page after a publish, waited for dozens of AVIF encodings (six seconds for the demo's home
page on this machine), though a browser downloads one file per picture. Here a page only
writes addresses: ``/media/renditions/<signature>/<image>/<filter>/<name>``, signed with
the secret key so nobody can ask for sizes the templates never use, and the rendition is
made (once, then kept) when that address is first fetched. Drawing a page never encodes an
image, and only the files readers' screens need are ever made.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from wagtail.images.models import AbstractImage, Filter
from wagtail.images.utils import generate_signature

# Modern formats first; the browser takes the first it can show, JPEG is the fallback.
SOURCES = (("avif", "image/avif"), ("webp", "image/webp"))


def url(image: AbstractImage, spec: str) -> str:
    """The address of ``image`` under the filter ``spec`` (e.g. ``width-800|format-webp``)."""
    signature = generate_signature(image.id, spec)
    name = image.file.name.rsplit("/", 1)[-1]
    return reverse("portal:picture", args=(signature, image.id, spec, name))


def size(image: AbstractImage, spec: str) -> tuple[int, int]:
    """The rendition's width and height, computed from the filter without making it."""
    width, height = Filter(spec).get_transform(image).size
    return int(width), int(height)


def _srcset(image: AbstractImage, geometry: Iterable[str], fmt: str) -> str:
    seen: dict[int, str] = {}
    for shape in geometry:
        spec = f"{shape}|format-{fmt}"
        seen.setdefault(size(image, spec)[0], url(image, spec))  # one entry per real width
    return ", ".join(f"{address} {width}w" for width, address in seen.items())


def picture(
    image: AbstractImage, geometry: list[str], *, sizes: str, alt: str, loading: str
) -> SafeString:
    """A responsive ``<picture>``: AVIF and WebP sources, a JPEG ``<img>`` with its size
    (so the page does not jump while it loads), in each of the ``geometry`` shapes
    (``["width-480", "width-800"]`` or ``["fill-320x200", "fill-640x400"]``)."""
    sources = format_html_join(
        "",
        '<source sizes="{}" srcset="{}" type="{}">',
        ((sizes, _srcset(image, geometry, fmt), kind) for fmt, kind in SOURCES),
    )
    first = f"{geometry[0]}|format-jpeg"
    width, height = size(image, first)
    return format_html(
        '<picture>{}<img alt="{}" height="{}" loading="{}" sizes="{}" src="{}" srcset="{}"'
        ' width="{}" decoding="async"></picture>',
        sources,
        alt,
        height,
        loading,
        sizes,
        url(image, first),
        _srcset(image, geometry, "jpeg"),
        width,
    )


def img(image: AbstractImage, spec: str, *, alt: str, loading: str = "lazy") -> SafeString:
    """One ``<img>`` of one rendition (a portrait, a thumbnail)."""
    width, height = size(image, spec)
    return format_html(
        '<img alt="{}" height="{}" loading="{}" src="{}" width="{}" decoding="async">',
        alt,
        height,
        loading,
        url(image, spec),
        width,
    )
