from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from wagtail.models import Site

from ioc.portal import pictures, selectors

register = template.Library()

_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def portal_sections(context: dict[str, Any]) -> list[Any]:
    """The portal's menu: the home page's children shown in menus."""
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    return selectors.navigation(site.root_page.localized if site else None)


@register.simple_tag
def ld_json(data: dict[str, Any]) -> SafeString:
    """Structured data (schema.org) as a script element that no text inside can close."""
    text = json.dumps(data, ensure_ascii=False, default=str).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(text))


@register.simple_tag(takes_context=True)
def article_ld(context: dict[str, Any], page: Any, image_url: str = "") -> SafeString:
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": page.title[:110],
        "description": page.summary,
        "datePublished": page.date.isoformat(),
        "dateModified": (page.last_published_at or page.date).isoformat(),
        "mainEntityOfPage": page.get_full_url(request),
        "inLanguage": "vi",
        "publisher": {"@type": "GovernmentOrganization", "name": context.get("portal_name", "")},
    }
    if page.author:
        data["author"] = {"@type": "Person", "name": page.author}
    if image_url:
        data["image"] = [request.build_absolute_uri(image_url)]
    return ld_json(data)


@register.simple_tag
def portal_picture(
    image: Any, geometry: str, *, sizes: str, alt: str = "", loading: str = "lazy"
) -> SafeString:
    """``{% portal_picture img "width-480,800,1200" sizes="..." alt="" %}``: a responsive
    picture whose files are made when a browser first asks for them (``ioc.portal.pictures``)."""
    kind, _, values = geometry.partition("-")
    return pictures.picture(
        image, [f"{kind}-{v}" for v in values.split(",")], sizes=sizes, alt=alt, loading=loading
    )


@register.simple_tag
def portal_image(image: Any, spec: str, *, alt: str = "", loading: str = "lazy") -> SafeString:
    return pictures.img(image, spec, alt=alt, loading=loading)


@register.simple_tag
def portal_image_url(image: Any, spec: str) -> str:
    return pictures.url(image, spec)
