"""The handlers' side at /ioc/feedback/: the inbox of the reports in one's scope (filters,
due soon and overdue by agency), one report with everything (the reporter's contact details
are read under audit), the actions of the workflow, duplicates and merging, and the hotline
form for reports taken by phone.

Every page needs ``feedback.view_report``, every action ``feedback.change_report``; a report
outside the user's scope answers 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.models import Agency
from ioc.feedback import media, services
from ioc.feedback.choices import OPEN, TRANSITIONS, Channel, Status
from ioc.feedback.models import Report, search
from ioc.feedback.views import categories, submission_from

VIEW_PERMISSION = "feedback.view_report"
PAGE_SIZE = 50
DUE_SOON = dt.timedelta(hours=24)

View = Callable[..., HttpResponse]


def handler_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _report_or_404(request: HttpRequest, pk: int) -> Report:
    try:
        return access(request.user, Report, pk)
    except ScopeDenied:
        raise Http404 from None


def by_agency(reports: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Open, due within a day and overdue reports per agency: who is falling behind."""
    rows = (
        reports.filter(status__in=OPEN)
        .values("agency", "agency__name", "agency__name_en")
        .annotate(
            open=Count("id"),
            soon=Count("id", filter=Q(due_at__gte=now, due_at__lt=now + DUE_SOON)),
            overdue=Count("id", filter=Q(due_at__lt=now)),
        )
        .order_by("-overdue", "-soon", "-open")
    )
    return list(rows[:15])


@require_safe
@handler_required
def inbox(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    reports = visible(request.user, Report.objects.all())
    rows = reports.select_related("category", "agency", "unit")
    status = request.GET.get("status", "open")
    if status == "open":
        rows = rows.filter(status__in=OPEN)
    elif status in Status.values:
        rows = rows.filter(status=status)
    due = request.GET.get("due", "")
    if due == "overdue":
        rows = rows.filter(status__in=OPEN, due_at__lt=now)
    elif due == "soon":
        rows = rows.filter(status__in=OPEN, due_at__gte=now, due_at__lt=now + DUE_SOON)
    if request.GET.get("category"):
        rows = rows.filter(category__code=request.GET["category"])
    if request.GET.get("flagged") == "1":
        rows = reports.filter(flagged=True, is_public=False).select_related(
            "category", "agency", "unit"
        )
    agency = request.GET.get("agency", "")
    if agency.isdigit():
        rows = rows.filter(agency_id=int(agency))
    query = request.GET.get("q", "").strip()[:100]
    if query:
        if query.lstrip("#").isdigit():
            rows = rows.filter(pk=int(query.lstrip("#")))
        else:
            rows = search(rows, query)
    rows = rows.order_by("due_at") if status == "open" or due else rows
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(reports.order_by().values_list("status").annotate(n=Count("id")))
    return render(
        request,
        "feedback/staff/inbox.html",
        {
            "page_obj": page,
            "now": now,
            "status": status,
            "due": due,
            "query": query,
            "agency": agency,
            "category": request.GET.get("category", ""),
            "statuses": [(code, label, counts.get(code, 0)) for code, label in Status.choices],
            "open_count": sum(counts.get(s, 0) for s in OPEN),
            "overdue_count": reports.filter(status__in=OPEN, due_at__lt=now).count(),
            "flagged_count": reports.filter(flagged=True, is_public=False).count(),
            "flagged": request.GET.get("flagged") == "1",
            "by_agency": by_agency(reports, now),
            "categories": categories(),
            "can_add": request.user.has_perm(services.ADD_PERMISSION),
        },
    )


@require_safe
@handler_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    # Reading a citizen's name, phone and e-mail is recorded.
    if report.name or report.phone or report.email:
        record(
            actor=services.as_user(request.user),
            action=AuditAction.READ,
            obj=report,
            message="contact details",
        )
    can_change = services.can_change(request.user, report)
    return render(
        request,
        "feedback/staff/detail.html",
        {
            "report": report,
            "entries": report.entries.select_related("agency", "actor"),
            "media": list(report.media.all()),
            "next": [(s, Status(s).label) for s in TRANSITIONS.get(report.status, ())],
            "next_codes": list(TRANSITIONS.get(report.status, ())),
            "can_change": can_change,
            "agencies": Agency.objects.active().order_by("unit__level", "name")
            if can_change
            else [],
            "duplicates": services.suggest_duplicates(report) if can_change else [],
            "merged": report.duplicates.all(),
            "categories": categories() if can_change else [],
            "forward_days": services.FORWARD_WORKING_DAYS,
        },
    )


ACTIONS = {
    "accept",
    "reject",
    "assign",
    "forward",
    "start",
    "resolve",
    "close",
    "note",
    "merge",
    "redact",
    "spam",
    "approve",
    "split",
}


@require_POST
@handler_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    report = _report_or_404(request, pk)
    if action not in ACTIONS:
        raise Http404
    post, user = request.POST, request.user
    try:
        if action == "accept":
            services.accept(report, actor=user, note=post.get("note", ""))
        elif action == "reject":
            services.reject(report, actor=user, reason=post.get("reason", ""))
        elif action == "start":
            services.start(report, actor=user, note=post.get("note", ""))
        elif action == "close":
            services.close(report, actor=user, note=post.get("note", ""))
        elif action in ("assign", "forward"):
            agency = Agency.objects.active().filter(pk=post.get("agency") or 0).first()
            if agency is None:
                raise services.ReportError({"agency": [_("Choose an agency.")]})
            if action == "assign":
                services.assign(report, agency, actor=user, note=post.get("note", ""))
            else:
                services.forward(report, agency, actor=user, reason=post.get("reason", ""))
        elif action == "resolve":
            services.resolve(
                report,
                actor=user,
                answer=post.get("answer", ""),
                uploads=[(f.name or "", f) for f in request.FILES.getlist("media")],
            )
        elif action == "note":
            services.add_note(report, actor=user, note=post.get("note", ""), public=False)
        elif action in ("spam", "approve"):
            services.moderate(
                report,
                actor=user,
                spam=action == "spam",
                block=post.get("block") == "on",
                reason=post.get("reason", ""),
            )
        elif action == "split":
            part = services.split(
                report,
                actor=user,
                category=post.get("category", ""),
                description=post.get("description", ""),
            )
            messages.success(request, _("Report #%(id)s created.") % {"id": part.pk})
            return redirect("reports:detail", pk=part.pk)
        elif action == "merge":
            into = _report_or_404(request, int(post.get("into") or 0))
            services.merge(report, into, actor=user)
        elif action == "redact":
            services.redact(
                report,
                actor=user,
                public_text=post.get("public_text", ""),
                hide_media=[int(v) for v in post.getlist("hide") if v.isdigit()],
            )
    except services.ReportError as error:
        for texts in error.messages().values():
            for text in texts:
                messages.error(request, text)
    except services.InvalidTransition as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("reports:detail", pk=report.pk)


@require_http_methods(["GET", "POST"])
@handler_required
def hotline(request: HttpRequest) -> HttpResponse:
    """A report taken by phone, typed in by the operator."""
    if not request.user.has_perm(services.ADD_PERMISSION):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        try:
            report = services.submit_report(
                submission_from(request, Channel.HOTLINE), actor=request.user
            )
        except services.ReportError as error:
            errors = error.messages()
            general = errors.pop("", [])
        else:
            messages.success(
                request,
                _("Report #%(id)s filed. Tell the caller the tracking code: %(code)s")
                % {"id": report.pk, "code": report.tracking_code},
            )
            return redirect("reports:detail", pk=report.pk)
    return render(
        request,
        "feedback/staff/hotline.html",
        {
            "categories": categories(),
            "errors": errors,
            "general_errors": general,
            "data": request.POST,
            "max_photos": media.MAX_PHOTOS,
        },
        status=400 if errors or general else 200,
    )
