"""The public side at /feedback/: the report form (mobile first, map pin, photos), the
tracking page a reporter reaches with the tracking code (status, history, answer, rating,
reopening), the public list and page of each report (never a name, a phone number, an
e-mail address or a photo without the reporter's consent), and a citizen's own reports.

Photos are served by :func:`media` only to those who may see them: everyone when public,
the reporter through the tracking code, handlers whose scope holds the report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ioc.accounts.scope import can_see
from ioc.core.middleware import client_ip
from ioc.feedback import abuse, services
from ioc.feedback import media as feedback_media
from ioc.feedback.choices import OPEN, EntryKind, MediaStage, Rating, Status
from ioc.feedback.models import Category, Media, Report

PAGE_SIZE = 20
PUBLIC_ENTRY_KINDS = (EntryKind.STATUS, EntryKind.FORWARDED, EntryKind.REOPENED, EntryKind.MERGED)


def categories() -> list[dict[str, Any]]:
    """Active categories grouped by their parent, for the form's select."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent"))
    parents = {c.pk for c in rows if c.parent_id is None}
    has_children = {c.parent_id for c in rows if c.parent_id is not None}
    groups: dict[str, list[Category]] = {}
    for c in rows:
        if c.pk in parents and c.pk in has_children:
            continue  # a group heading, not a choice
        groups.setdefault(c.group, []).append(c)
    return [{"label": label, "choices": items} for label, items in groups.items()]


def _uploads(request: HttpRequest, name: str = "media") -> list[tuple[str, Any]]:
    return [(f.name or "", f) for f in request.FILES.getlist(name)]


def submission_from(request: HttpRequest, channel: str) -> services.Submission:
    post = request.POST
    token = post.get("captcha_token", "")
    answers = {
        key[len("attribute[") : -1]: (
            post.getlist(key) if len(post.getlist(key)) > 1 else post[key]
        )
        for key in post
        if key.startswith("attribute[") and key.endswith("]")
    }
    return services.Submission(
        category=post.get("category", ""),
        description=post.get("description", ""),
        lat=post.get("lat") or None,
        lon=post.get("lon") or None,
        address=post.get("address", ""),
        name=post.get("name", ""),
        phone=post.get("phone", ""),
        email=post.get("email", ""),
        anonymous=post.get("anonymous") == "on",
        photos_public=post.get("photos_public") == "on",
        answers=answers,
        uploads=_uploads(request),
        channel=channel,
        client_ip=client_ip(request),
        captcha_ok=bool(token) and abuse.solved(token, post.get("captcha", "")),
    )


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.public().select_related("category", "agency", "unit")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        reports = reports.search(query)
    status = request.GET.get("status", "")
    if status in Status.values:
        reports = reports.filter(status=status)
    category = request.GET.get("category", "")
    if category:
        reports = reports.filter(category__code=category)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {
        "all": Report.objects.public().count(),
        "resolved": Report.objects.public()
        .filter(status__in=(Status.RESOLVED, Status.CLOSED))
        .count(),
    }
    return render(
        request,
        "feedback/home.html",
        {
            "page_obj": page,
            "query": query,
            "status": status,
            "category": category,
            "statuses": Status.choices,
            "categories": categories(),
            "counts": counts,
        },
    )


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        try:
            report = services.submit_report(
                submission_from(request, "web"),
                reporter=request.user if request.user.is_authenticated else None,
            )
        except services.ReportError as error:
            errors = error.messages()
            general = errors.pop("", [])
        else:
            messages.success(
                request,
                _("Your report has been received. Keep your tracking code: %(code)s")
                % {"code": report.tracking_code},
            )
            return redirect("feedback:tracked", code=report.tracking_code)
    user_id = request.user.pk if request.user.is_authenticated else None
    needs_captcha = "captcha" in errors or (
        abuse.recent(client_ip(request), user_id) >= abuse.captcha_after()
    )
    return render(
        request,
        "feedback/new.html",
        {
            "captcha_token": abuse.new_challenge() if needs_captcha else "",
            "categories": categories(),
            "errors": errors,
            "general_errors": general,
            "data": request.POST,
            "max_photos": feedback_media.MAX_PHOTOS,
        },
        status=400 if errors or general else 200,
    )


@require_safe
def captcha(request: HttpRequest) -> HttpResponse:
    picture = abuse.image(request.GET.get("t", ""))
    if picture is None:
        raise Http404
    response = HttpResponse(picture, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def track(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "")
    report = services.by_tracking_code(code)
    if report is None:
        return render(
            request,
            "feedback/track.html",
            {"code": code, "not_found": bool(code)},
            status=404 if code else 200,
        )
    return redirect("feedback:tracked", code=report.tracking_code)


def _tracked(code: str) -> Report:
    report = services.by_tracking_code(code)
    if report is None:
        raise Http404
    return report


def _public_entries(report: Report, *, reporter: bool = False) -> list[Any]:
    """The history as the public (or, with ``reporter``, the reporter) may read it."""
    entries = list(
        report.entries.filter(public=True, kind__in=PUBLIC_ENTRY_KINDS).select_related("agency")
    )
    if not reporter:
        for entry in entries:
            entry.note = services.public_note(entry)
    return entries


@require_safe
def tracked(request: HttpRequest, code: str) -> HttpResponse:
    report = _tracked(code)
    main = report.duplicate_of or report
    return render(
        request,
        "feedback/tracked.html",
        {
            "report": report,
            "main": main,
            "entries": _public_entries(report, reporter=True),
            "photos": [m for m in report.media.all() if m.stage == MediaStage.BEFORE],
            "after": [m for m in main.media.all() if m.stage == MediaStage.AFTER and not m.hidden],
            "can_rate": report.status in (Status.RESOLVED, Status.CLOSED) and not report.rating,
            "can_reopen": services.can_reopen(report),
            "ratings": Rating.choices,
            "reopen_days": services.REOPEN_DAYS,
            "errors": {},
        },
    )


def _reporter_action(request: HttpRequest, code: str, action: Any, done: str) -> HttpResponse:
    """Run one of the reporter's actions on the report of a tracking code; errors and the
    success are flashed, and the tracking page is shown again."""
    report = _tracked(code)
    try:
        action(report)
    except services.ReportError as error:
        for texts in error.messages().values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(request, done)
    return redirect("feedback:tracked", code=report.tracking_code)


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    post = request.POST
    return _reporter_action(
        request,
        code,
        lambda r: services.rate(r, rating=post.get("rating", ""), comment=post.get("comment", "")),
        _("Thank you: your rating has been recorded."),
    )


@require_POST
def reopen(request: HttpRequest, code: str) -> HttpResponse:
    return _reporter_action(
        request,
        code,
        lambda r: services.reopen(r, reason=request.POST.get("reason", "")),
        _("Your report has been reopened and sent back to the agency."),
    )


@require_safe
def public(request: HttpRequest, pk: int) -> HttpResponse:
    report = (
        Report.objects.public()
        .select_related("category", "agency", "unit", "duplicate_of")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return render(
        request,
        "feedback/public.html",
        {
            "report": report,
            "entries": _public_entries(report),
            "photos": [m for m in report.media.all() if m.is_public],
        },
    )


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.filter(services.visible_to_reporter(request.user)).select_related(
        "category", "agency"
    )
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "feedback/mine.html", {"page_obj": page})


@require_safe
def media(request: HttpRequest, pk: int) -> FileResponse:
    """A photo or video (``?thumb=1``: its thumbnail) to whoever may see it; otherwise 404."""
    item = Media.objects.select_related("report").filter(pk=pk).first()
    if item is None:
        raise Http404
    report = item.report
    user = request.user
    code = request.GET.get("code", "").upper()
    allowed = (
        (item.is_public and report.is_public)
        or (user.has_perm("feedback.view_report") and can_see(user, report))
        or (not item.hidden and bool(code) and code == report.tracking_code)
        or (not item.hidden and user.is_authenticated and report.reporter_id == user.pk)
    )
    if not allowed:
        raise Http404
    thumb = request.GET.get("thumb") == "1" and bool(item.thumbnail)
    field = item.thumbnail if thumb else item.file
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/webp" if thumb else item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def tracking_url(report: Report) -> str:
    return reverse("feedback:tracked", kwargs={"code": report.tracking_code})


MAP_DAYS = 90
MAP_LIMIT = 5000


@require_safe
def public_map(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/map.html",
        {"categories": categories(), "days": MAP_DAYS, "statuses": Status.choices},
    )


@require_safe
def map_points(request: HttpRequest) -> JsonResponse:
    """The public reports of the last ``days`` (90) as GeoJSON points, pins rounded to ~10 m,
    with nothing personal: number, category, status, date, link."""
    try:
        days = min(max(int(request.GET.get("days", MAP_DAYS)), 1), 366)
    except ValueError:
        days = MAP_DAYS
    reports = Report.objects.public().filter(
        lat__isnull=False, received_at__gte=timezone.now() - dt.timedelta(days=days)
    )
    if request.GET.get("category"):
        reports = reports.filter(category__code=request.GET["category"])
    if request.GET.get("status") == "open":
        reports = reports.filter(status__in=OPEN)
    elif request.GET.get("status") == "answered":
        reports = reports.filter(status__in=(Status.RESOLVED, Status.CLOSED))
    features = []
    for report in reports.select_related("category").order_by("-received_at")[:MAP_LIMIT]:
        point = report.public_point()
        if point is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": report.pk,
                "geometry": {"type": "Point", "coordinates": list(point)},
                "properties": {
                    "id": report.pk,
                    "category": report.category.label,
                    "status": report.status,
                    "status_label": str(report.get_status_display()),
                    "received": timezone.localtime(report.received_at).strftime("%d/%m/%Y"),
                    "link": reverse("feedback:public", args=[report.pk]),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})
