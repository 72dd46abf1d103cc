from __future__ import annotations

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from ioc.portal import search as portal_search
from ioc.portal.models import paginate


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
    kind = "image/avif" if name.endswith(".avif") else mimetypes.guess_type(name)[0]
    return FileResponse(default_storage.open(path, "rb"), content_type=kind)
