from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from wagtail.images.exceptions import InvalidFilterSpecError
from wagtail.images.models import Image, SourceImageIOError
from wagtail.images.utils import verify_signature
from wagtail.models import Page
from wagtail.views import serve as wagtail_serve

from ioc.core.middleware import language_from_address
from ioc.portal import search as portal_search
from ioc.portal.models import paginate


@language_from_address
def serve(request: HttpRequest, path: str) -> HttpResponseBase:
    """A portal page, in the language of its address: ``/...`` Vietnamese, ``/en/...``
    English. An English address of a page that has no English version (the English home
    routes there: see ``HomePage.route``) sends the reader to the Vietnamese page's own
    address rather than showing Vietnamese text under an English address."""
    found = Page.route_for_request(request, path)  # kept on the request for Wagtail's serve
    if found is not None and found[0].locale.language_code != translation.get_language():
        url = found[0].get_url(request)
        if url:
            return HttpResponseRedirect(url)
    response: HttpResponseBase = wagtail_serve(request, path)
    return response


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """/search/?q=: news, documents and pages, filtered by type, section and date."""
    form = portal_search.SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        results = paginate(request, portal_search.run(form.cleaned_data), 15)
    return render(
        request,
        "portal/search.html",
        {"form": form, "results": results, "query": request.GET.get("q", "")[:200]},
    )


@require_safe
@cache_control(max_age=3600, public=True)
def robots(request: HttpRequest) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    lines = [
        "User-agent: *",
        *(f"Disallow: {area}" for area in ("/ioc/", "/admin/", "/cms/", "/api/", "/accounts/")),
        "Allow: /",
        f"Sitemap: {base}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(max_age=30 * 86400, public=True, immutable=True)
def rendition(request: HttpRequest, name: str) -> FileResponse:
    """An image rendition (the resized, re-encoded copies pages show).

    Only ``media/images/`` is served: originals, documents and citizens' photos are not public
    files. A front proxy may serve the same folder directly in production.
    """
    if "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise Http404(name)
    path = f"images/{name}"
    if not default_storage.exists(path):
        raise Http404(name)
    return _image_file(path)


def _image_file(path: str) -> FileResponse:
    kind = "image/avif" if path.endswith(".avif") else mimetypes.guess_type(path)[0]
    return FileResponse(default_storage.open(path, "rb"), content_type=kind)


@require_safe
@cache_control(max_age=86400, public=True)
def picture(
    request: HttpRequest, signature: str, image_id: int, spec: str, name: str
) -> HttpResponseBase:
    """A rendition made the first time a browser asks for it (``ioc.portal.pictures``).

    Only addresses the portal's pages wrote are answered: the signature covers the image and
    the filter, so nobody can make the server encode sizes or formats of their choosing.
    """
    if not verify_signature(signature.encode(), image_id, spec):
        raise Http404(spec)
    image = get_object_or_404(Image, id=image_id)
    try:
        made = image.get_rendition(spec)
    except SourceImageIOError:
        return HttpResponse("Gone", content_type="text/plain", status=410)
    except InvalidFilterSpecError:
        raise Http404(spec) from None
    return _image_file(made.file.name)
