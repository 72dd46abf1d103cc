"""The operator inbox at /ioc/events/: filter, acknowledge and resolve events, see one
event's history, and the banner of the most severe unresolved events (polled by htmx).

Every page needs a login and ``operations.view_event``; what a user sees is limited to the
user's scope (``visible``/``access``: an event outside it answers 404). Acknowledge, resolve
and reopen are POSTs: with htmx they answer the event's table row (swapped in place), without
JavaScript they redirect back to the page the form was on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.core.auditlog.display import ChangeRow, change_rows
from ioc.core.models import AuditEntry
from ioc.operations.choices import UNRESOLVED, Severity
from ioc.operations.forms import DEFAULT_STATUSES, EventFilterForm, NoteForm
from ioc.operations.models import Event, most_severe_first
from ioc.operations.services import (
    InvalidTransition,
    acknowledge_event,
    can_change,
    reopen_event,
    resolve_event,
)

VIEW_PERMISSION = "operations.view_event"
PAGE_SIZE = 50
BANNER_SEVERITIES = (Severity.EXTREME, Severity.SEVERE, Severity.MODERATE)
BANNER_LIMIT = 5
# Sent with every change, so the banner (and anything else listening) refreshes at once.
CHANGED_TRIGGER = "events-changed"

View = Callable[..., HttpResponse]


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def event_viewer_required(view: View) -> View:
    """Login and operations.view_event. An htmx call from an expired session answers 401 with
    HX-Redirect to the login page, rather than the login page swapped into a table row."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if is_htmx(request):
                current = urlsplit(request.headers.get("HX-Current-URL", ""))
                back = current.path + (f"?{current.query}" if current.query else "")
                response = HttpResponse(status=401)
                response["HX-Redirect"] = redirect_to_login(back or request.path)["Location"]
                return response
            # After logging in, come back to a page (an action URL only answers POST).
            if request.method == "GET":
                return redirect_to_login(request.get_full_path())
            return redirect_to_login(reverse("operations:inbox"))
        if not user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _event_or_404(request: HttpRequest, pk: int) -> Event:
    try:
        return access(request.user, Event, pk)
    except ScopeDenied:
        raise Http404 from None


def banner_context(request: HttpRequest, limit: int = BANNER_LIMIT) -> dict[str, Any]:
    """The most severe unresolved events the user may see, for the banner partial."""
    qs = visible(
        request.user,
        Event.objects.filter(status__in=UNRESOLVED, severity__in=BANNER_SEVERITIES),
    )
    top = most_severe_first(qs.select_related("unit"))[:limit]
    return {"banner_events": list(top), "banner_total": qs.count()}


@require_GET
@event_viewer_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    events = visible(user, Event.objects.all())
    data = request.GET.copy()
    if "status" not in data:  # show the default (open and acknowledged) as ticked
        data.setlist("status", DEFAULT_STATUSES)
    form = EventFilterForm(data, events=events)
    counts = dict(
        form.filter(events, severity=False)
        .order_by()
        .values_list("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    chosen = form.cleaned_data.get("severity", []) if form.is_valid() else []
    rows = most_severe_first(
        form.filter(events).select_related("unit", "sector", "agency", "acknowledged_by")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "severity_counts": [
            {"code": code, "label": label, "count": counts.get(code, 0), "chosen": code in chosen}
            for code, label in Severity.choices
        ],
        "statuses": form.statuses(),
        "filtered": any(key != "page" for key in request.GET),
        "can_change": can_change(user),
        "next_url": request.get_full_path(),
        **banner_context(request),
    }
    return render(request, "operations/inbox.html", context)


@require_GET
@event_viewer_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    history = AuditEntry.objects.filter(
        object_type=Event._meta.label_lower, object_id=str(event.pk)
    ).order_by("at", "id")
    return render(
        request,
        "operations/detail.html",
        {
            "event": event,
            "history": _readable_history(list(history)),
            "can_change": can_change(request.user, event),
            "note_form": NoteForm(),
            "next_url": request.get_full_path(),
        },
    )


def _changes(entry: AuditEntry) -> dict[str, Any]:
    return entry.changes if isinstance(entry.changes, dict) else {}


def _readable_history(entries: list[AuditEntry]) -> list[tuple[AuditEntry, list[ChangeRow]]]:
    """Each entry with its changes as rows, in the words of the event's own fields: labels
    instead of field names, users' names instead of ids, local times, status labels."""
    user_ids: set[int] = set()
    for entry in entries:
        pair = _changes(entry).get("acknowledged_by")
        if isinstance(pair, list):
            user_ids.update(v for v in pair if isinstance(v, int))
    users = {
        u.pk: u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(pk__in=user_ids)
    }

    def text(name: str, raw: Any, shown: str) -> str:
        if raw in (None, ""):
            return shown
        try:
            field = Event._meta.get_field(name)
        except FieldDoesNotExist:
            return shown
        if name == "acknowledged_by":
            return users.get(raw, shown)
        if getattr(field, "choices", None):
            return str(dict(field.choices).get(raw, shown))  # type: ignore[union-attr,arg-type]
        if isinstance(raw, str):
            try:
                moment = parse_datetime(raw)
            except ValueError:
                moment = None
            if moment is not None and timezone.is_aware(moment):
                return date_format(timezone.localtime(moment), "H:i:s d/m/Y")
        return shown

    out = []
    for entry in entries:
        rows = []
        for row in change_rows(_changes(entry)):
            pair = _changes(entry).get(row.field)
            old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            try:
                label = str(capfirst(Event._meta.get_field(row.field).verbose_name))  # type: ignore[union-attr]
            except FieldDoesNotExist:
                label = row.field
            rows.append(
                ChangeRow(
                    label,
                    text(row.field, old, row.old),
                    text(row.field, new, row.new),
                    row.changed,
                )
            )
        out.append((entry, rows))
    return out


@require_GET
@event_viewer_required
def banner(request: HttpRequest) -> HttpResponse:
    """The banner partial (``?limit=`` 1 to 20, default 5); the inbox polls it every 15 s
    and the wall can embed it."""
    try:
        limit = max(1, min(20, int(request.GET.get("limit", BANNER_LIMIT))))
    except ValueError:
        limit = BANNER_LIMIT
    return render(request, "operations/_banner.html", banner_context(request, limit))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _change(
    request: HttpRequest, pk: int, service: Callable[..., Event], done: str
) -> HttpResponse:
    event = _event_or_404(request, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    notice, level = done, messages.SUCCESS
    if not form.is_valid():
        notice, level = _("The note is too long; nothing was changed."), messages.ERROR
    else:
        try:
            event = service(actor=request.user, event=event, note=note)
        except InvalidTransition:
            event.refresh_from_db()
            notice = _("Nothing changed: the event is %(status)s.") % {
                "status": event.get_status_display().lower()
            }
            level = messages.WARNING
    if is_htmx(request):
        event = Event.objects.select_related("unit", "sector", "acknowledged_by").get(pk=event.pk)
        response = render(
            request,
            "operations/_event_row.html",
            {
                "event": event,
                "can_change": can_change(request.user),
                "next_url": _safe_next(request, reverse("operations:inbox")),
                "notice": notice,
                "notice_level": "success" if level == messages.SUCCESS else "warning",
            },
        )
        response["HX-Trigger"] = CHANGED_TRIGGER
        return response
    messages.add_message(request, level, notice)
    return HttpResponseRedirect(_safe_next(request, reverse("operations:detail", args=[pk])))


@require_POST
@event_viewer_required
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, acknowledge_event, _("Event acknowledged."))


@require_POST
@event_viewer_required
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, resolve_event, _("Event resolved."))


@require_POST
@event_viewer_required
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(request, pk, reopen_event, _("Event reopened."))
