"""Everything that changes a citizen's report goes through here: filing it (from any
channel), routing it, moving it through its states, merging duplicates, the reporter's
reopening and rating. Views, the Open311 API, the webhook and tasks call these functions.

Filing (:func:`submit_report`) checks every field and every photo first and stores nothing
when one is wrong: :class:`ReportError` carries each field's messages, in the user's
language. Handler actions check ``feedback.change_report`` and the report's scope and raise
``PermissionDenied`` otherwise; a change the report's state does not allow raises
:class:`InvalidTransition`. Each change is one :class:`~ioc.feedback.models.Entry` (who,
when, why) and one audit log entry.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioc.accounts.access import permission_reason
from ioc.accounts.scope import can_see
from ioc.core.audit import record
from ioc.core.choices import AgencyKind, AuditAction
from ioc.core.memo import remember
from ioc.core.models import AdministrativeUnit, Agency
from ioc.core.units.locate import Locator
from ioc.feedback import abuse, calendar, jobs, media, notify
from ioc.feedback.choices import (
    OPEN,
    TRANSITIONS,
    Channel,
    EntryKind,
    MediaStage,
    Rating,
    RouteTo,
    Status,
)
from ioc.feedback.models import Blocked, Category, Entry, Media, Report

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

    Actor = User | AnonymousUser | None

CHANGE_PERMISSION = "feedback.change_report"
ADD_PERMISSION = "feedback.add_report"
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 5000
REOPEN_DAYS = 7  # the reporter may reopen an answered report for a week
FORWARD_WORKING_DAYS = 5  # the rules: forward what is not yours within 5 working days
DUPLICATE_METRES = 150
DUPLICATE_DAYS = 7

# Any tag-like text: "<script", "</b", "<!--", "<?php", "<img". Citizens write plain text.
_MARKUP = re.compile(r"<\s*[/!?]?\s*[a-zA-Z]|javascript\s*:|&#?\w+;", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_FIELD = re.compile(r"^\+?[\d\s.\-()]{8,20}$")


class ReportError(ValueError):
    """What is wrong with a report, by field ("" for the report as a whole)."""

    def __init__(self, errors: dict[str, list[Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in errors.items()))

    def messages(self) -> dict[str, list[str]]:
        return {k: [str(m) for m in v] for k, v in self.errors.items()}


class InvalidTransition(ValueError):
    """The report's current state does not allow this change."""


# --- text ------------------------------------------------------------------------------------


def mask_contacts(text: str) -> str:
    """The text with phone numbers and e-mail addresses masked, for the public."""
    text = _EMAIL.sub("***@***", text)
    return _PHONE.sub(lambda m: m.group(0)[:3] + "*******", text)


def public_note(entry: Entry) -> str:
    """An entry's note as the public may read it: a reporter's reopening reason is theirs
    (it may name them), contact details are masked in the rest."""
    return "" if entry.kind == EntryKind.REOPENED else mask_contacts(entry.note)


def check_text(
    errors: dict[str, list[Any]],
    name: str,
    value: Any,
    *,
    max_length: int,
    min_length: int = 0,
    required: bool = False,
) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    elif text and len(text) < min_length:
        errors.setdefault(name, []).append(
            _("Write at least %(n)d characters.") % {"n": min_length}
        )
    elif len(text) > max_length:
        errors.setdefault(name, []).append(_("Write at most %(n)d characters.") % {"n": max_length})
    elif _MARKUP.search(text):
        errors.setdefault(name, []).append(_("Write plain text: HTML and scripts are refused."))
    return text


# --- where and who ---------------------------------------------------------------------------


def locate(lat: float, lon: float) -> AdministrativeUnit | None:
    """The commune (valid today) holding the point, or None outside the area."""
    return Locator.for_day().unit_at(lon, lat)


def area_has_boundaries() -> bool:
    return len(Locator.for_day()) > 0


@remember(30, Category)
def active_category(code: str) -> Category | None:
    return Category.objects.select_related("agency").filter(code=code, is_active=True).first()


@remember(30, Agency)
def commune_committee(unit_id: int) -> Agency | None:
    return (
        Agency.objects.active()
        .filter(unit_id=unit_id, kind=AgencyKind.COMMUNE_COMMITTEE)
        .order_by("pk")
        .first()
    )


def route(category: Category, unit: AdministrativeUnit | None) -> Agency:
    """The agency that handles a report of ``category`` at ``unit``: the commune's people's
    committee for matters a commune handles (when the pin is known and the commune has one),
    otherwise the category's agency."""
    if category.route_to == RouteTo.COMMUNE and unit is not None:
        commune = commune_committee(unit.pk)
        if commune is not None:
            return commune
    return category.agency


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# --- filing ----------------------------------------------------------------------------------


@dataclass
class Submission:
    """A report as it arrives, from any channel, before any check."""

    category: str  # the category's code (Open311 service_code)
    description: str = ""
    lat: Any = None
    lon: Any = None
    address: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    anonymous: bool = False
    photos_public: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    uploads: Sequence[tuple[str, IO[bytes]]] = ()  # (file name, file)
    channel: str = Channel.WEB
    client: str = ""
    client_ip: str | None = None
    captcha_ok: bool = False  # the view checked the captcha's answer


def _check_answers(
    category: Category, answers: dict[str, Any], errors: dict[str, list[Any]]
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for question in category.attributes:
        code = str(question.get("code", ""))
        if not code or question.get("variable") is False:
            continue
        value = answers.get(code)
        if isinstance(value, list):
            value = [str(v) for v in value if str(v).strip()]
        elif value is not None:
            value = str(value).strip()
        if not value:
            if question.get("required"):
                errors.setdefault(f"attribute[{code}]", []).append(_("This field is required."))
            continue
        allowed = {str(v.get("key")) for v in question.get("values", [])}
        datatype = question.get("datatype", "string")
        values = value if isinstance(value, list) else [value]
        if datatype in ("singlevaluelist", "multivaluelist") and not set(values) <= allowed:
            errors.setdefault(f"attribute[{code}]", []).append(
                _("Choose one of the listed values.")
            )
        elif datatype == "number" and _number(values[0]) is None:
            errors.setdefault(f"attribute[{code}]", []).append(_("Enter a number."))
        elif datatype == "datetime":
            try:
                dt.datetime.fromisoformat(str(values[0]))
            except ValueError:
                errors.setdefault(f"attribute[{code}]", []).append(_("Enter a date and time."))
        elif any(_MARKUP.search(v) or len(v) > 500 for v in values):
            errors.setdefault(f"attribute[{code}]", []).append(
                _("Write plain text: HTML and scripts are refused.")
            )
        clean[code] = values if datatype == "multivaluelist" else values[0]
    return clean


def check_submission(
    sub: Submission,
) -> tuple[Category, dict[str, Any], list[media.Cleaned]]:
    """Every check of a submission; raises ReportError with all that is wrong."""
    errors: dict[str, list[Any]] = {}
    category = active_category(str(sub.category or ""))
    if category is None:
        errors["category"] = [_("Choose a category from the list.")]
    values: dict[str, Any] = {
        "description": check_text(
            errors,
            "description",
            sub.description,
            max_length=DESCRIPTION_MAX,
            min_length=DESCRIPTION_MIN,
            required=True,
        ),
        "address": check_text(errors, "address", sub.address, max_length=300),
    }
    lat, lon = _number(sub.lat), _number(sub.lon)
    if (sub.lat not in (None, "") and lat is None) or (sub.lon not in (None, "") and lon is None):
        errors.setdefault("location", []).append(_("The map pin is not a valid position."))
    elif (lat is None) != (lon is None):
        errors.setdefault("location", []).append(
            _("The map pin needs both latitude and longitude.")
        )
    elif lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors.setdefault("location", []).append(_("The map pin is not a valid position."))
        else:
            unit = locate(lat, lon)
            if unit is None and area_has_boundaries():
                errors.setdefault("location", []).append(
                    _("The map pin is outside the province: place it where the problem is.")
                )
            values["unit"] = unit
    if lat is None and not values["address"] and "location" not in errors:
        errors["location"] = [_("Place a pin on the map or write the address.")]
    values["lat"], values["lon"] = lat, lon
    values["anonymous"] = bool(sub.anonymous)
    values["name"] = check_text(errors, "name", sub.name, max_length=120)
    phone = check_text(errors, "phone", sub.phone, max_length=30)
    if phone and not _PHONE_FIELD.match(phone):
        errors.setdefault("phone", []).append(_("Enter a phone number (digits only)."))
    email = str(sub.email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid e-mail address."))
    values["phone"], values["email"] = phone, email
    if category is not None:
        values["answers"] = _check_answers(category, dict(sub.answers or {}), errors)
    cleaned: list[media.Cleaned] = []
    photos = videos = 0
    for name, upload in sub.uploads:
        try:
            item = media.clean(upload, name)
        except media.MediaError as error:
            errors.setdefault("media", []).append(error)
            continue
        photos += item.kind == "photo"
        videos += item.kind == "video"
        cleaned.append(item)
    if photos > media.MAX_PHOTOS:
        errors.setdefault("media", []).append(
            _("Send at most %(n)d photos.") % {"n": media.MAX_PHOTOS}
        )
    if videos > 1:
        errors.setdefault("media", []).append(_("Send at most one video."))
    if errors or category is None:
        raise ReportError(errors)
    return category, values, cleaned


def _store_media(report: Report, items: Iterable[media.Cleaned], stage: str) -> list[Media]:
    stored = []
    for item in items:
        stem = uuid.uuid4().hex
        row = Media(
            report=report,
            kind=item.kind,
            stage=stage,
            content_type=item.content_type,
            size=len(item.data),
            width=item.width,
            height=item.height,
        )
        row.file.save(f"{stem}.{item.extension}", ContentFile(item.data), save=False)
        if item.thumbnail:
            row.thumbnail.save(f"{stem}-t.webp", ContentFile(item.thumbnail), save=False)
        row.save()
        stored.append(row)
    return stored


def as_user(actor: Actor) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _entry(report: Report, kind: str, actor: Actor, *, save: bool = True, **fields: Any) -> Entry:
    user = as_user(actor)
    entry = Entry(
        report=report,
        kind=kind,
        actor=user,
        actor_name=user.get_username() if user else "",
        **fields,
    )
    if save:
        entry.save()
    return entry


def check_abuse(sub: Submission, reporter: Actor = None) -> dict[str, list[Any]]:
    """Refuse blocked senders (every channel but the hotline) and, on the web form, those over
    the rate limit (ReportError at once); ask for the captcha from the threshold on (its
    error is returned, to show with the others). API clients are not rate-limited here."""
    if sub.channel == Channel.HOTLINE:
        return {}
    if abuse.blocked(sub.client_ip, str(sub.phone or ""), str(sub.email or "")):
        raise ReportError({"": [_("Reports from this sender are not accepted. Call 1022.")]})
    if sub.channel != Channel.WEB:
        return {}  # API clients are known by their key: blocked senders only
    user = as_user(reporter)
    count = abuse.recent(sub.client_ip, user.pk if user else None)
    if count >= abuse.per_hour():
        raise ReportError(
            {"": [_("Too many reports from your connection in the last hour; try again later.")]}
        )
    if count >= abuse.captcha_after() and not sub.captcha_ok:
        return {"captcha": [_("Type the characters of the picture.")]}
    return {}


def submit_report(sub: Submission, *, reporter: Actor = None, actor: Actor = None) -> Report:
    """File a report. ``reporter``: the citizen's account, if logged in; ``actor``: the
    operator who typed it in (hotline), checked for ``feedback.add_report``."""
    if sub.channel == Channel.HOTLINE and (actor is None or not actor.has_perm(ADD_PERMISSION)):
        raise PermissionDenied(permission_reason(ADD_PERMISSION))
    guard = check_abuse(sub, reporter)
    try:
        category, values, cleaned = check_submission(sub)
    except ReportError as error:
        error.errors.update(guard)
        raise
    if guard:
        raise ReportError(guard)
    flagged = abuse.is_abusive(f"{values['description']} {values['address']}")
    now = timezone.now()
    unit = values.pop("unit", None)
    agency = route(category, unit)
    written: list[Media] = []
    try:
        with transaction.atomic():
            report = Report.objects.create(
                category=category,
                unit=unit,
                agency=agency,
                received_at=now,
                due_at=calendar.due_at(now, category.deadline, category.deadline_unit),
                channel=sub.channel,
                reporter=as_user(reporter),
                photos_public=bool(sub.photos_public),
                public_text=mask_contacts(values["description"]),
                client=str(sub.client or "")[:120],
                client_ip=sub.client_ip,
                flagged=flagged,
                is_public=not flagged,  # until a moderator has looked
                **values,
            )
            Entry.objects.bulk_create(
                [
                    _entry(report, EntryKind.STATUS, actor, save=False, to_status=Status.RECEIVED),
                    _entry(
                        report,
                        EntryKind.ROUTED,
                        None,
                        save=False,
                        agency=agency,
                        note=str(_("By category and place.")),
                    ),
                ]
            )
            written = _store_media(report, cleaned, MediaStage.BEFORE)
            told = notify.reporter_changed(
                report,
                str(Status.RECEIVED.label),
                str(_("Your tracking code: %(code)s") % {"code": report.tracking_code}),
                send=False,
            )
            told += notify.handlers(
                report,
                str(
                    _("New report #%(id)s: %(category)s") % {"id": report.pk, "category": category}
                ),
                f"{report.public_text}\n\n{_('Due')}: "
                f"{timezone.localtime(report.due_at):%d/%m/%Y %H:%M}",
                send=False,
            )
            notify.save(told)  # one insert, one task
            if actor is not None:
                record(
                    actor=as_user(actor), action=AuditAction.CREATE, obj=report, message="hotline"
                )
    except Exception:
        for row in written:  # the rows rolled back; their files go too
            row.file.delete(save=False)
            row.thumbnail.delete(save=False)
        raise
    return report


# --- handling --------------------------------------------------------------------------------


def can_change(user: Actor, report: Report | None = None) -> bool:
    if user is None or not user.is_authenticated or not user.has_perm(CHANGE_PERMISSION):
        return False
    return report is None or can_see(user, report)


def _require(actor: Actor, report: Report) -> None:
    if actor is None or not actor.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied(permission_reason(CHANGE_PERMISSION))
    if not can_see(actor, report):
        raise PermissionDenied(_("This report is not in your scope."))


def _move(report: Report, to: str, actor: Actor, note: str = "", **changes: Any) -> Report:
    allowed = TRANSITIONS.get(report.status, ())
    if to not in allowed:
        raise InvalidTransition(
            _("A report that is %(status)s cannot become %(to)s.")
            % {"status": report.get_status_display(), "to": Status(to).label}
        )
    before = report.status
    report.status = to
    for name, value in changes.items():
        setattr(report, name, value)
    if to in (Status.RESOLVED, Status.REJECTED) and report.closed_at is None:
        report.closed_at = timezone.now()
    report.save()
    _entry(report, EntryKind.STATUS, actor, from_status=before, to_status=to, note=note)
    if before in OPEN and to not in OPEN:
        jobs.clear_overdue(report)
    # The answer and the reason for a rejection are public; a handler's other notes are not.
    notify.reporter_changed(
        report, str(Status(to).label), note if to in (Status.RESOLVED, Status.REJECTED) else ""
    )
    record(
        actor=as_user(actor),
        action=AuditAction.UPDATE,
        obj=report,
        changes={"status": [before, to], **{k: [None, str(v)] for k, v in changes.items()}},
        message=note[:500],
    )
    return report


def accept(report: Report, *, actor: Actor, note: str = "") -> Report:
    _require(actor, report)
    with transaction.atomic():
        return _move(report, Status.ACCEPTED, actor, note)


def reject(report: Report, *, actor: Actor, reason: str) -> Report:
    """Spam, out of scope, not a report: the reason is public."""
    _require(actor, report)
    errors: dict[str, list[Any]] = {}
    reason = check_text(errors, "reason", reason, max_length=300, required=True)
    if errors:
        raise ReportError(errors)
    with transaction.atomic():
        return _move(report, Status.REJECTED, actor, reason, reject_reason=reason)


def start(report: Report, *, actor: Actor, note: str = "") -> Report:
    _require(actor, report)
    with transaction.atomic():
        return _move(report, Status.IN_PROGRESS, actor, note)


def assign(report: Report, agency: Agency, *, actor: Actor, note: str = "") -> Report:
    """Give the report to ``agency`` (re-routing it when it is another one)."""
    _require(actor, report)
    with transaction.atomic():
        if agency.pk != report.agency_id:
            report.agency = agency
            _entry(report, EntryKind.ROUTED, actor, agency=agency, note=note)
        if report.status == Status.ASSIGNED:
            report.save()
            return report
        return _move(report, Status.ASSIGNED, actor, note, agency=agency)


def forward(report: Report, agency: Agency, *, actor: Actor, reason: str) -> Report:
    """Forward a report outside one's competence to the competent agency, with the reason
    (required). Forwarding after the 5 working days the rules allow is recorded as late."""
    _require(actor, report)
    errors: dict[str, list[Any]] = {}
    reason = check_text(errors, "reason", reason, max_length=500, required=True)
    if agency.pk == report.agency_id:
        errors.setdefault("agency", []).append(_("Choose another agency."))
    if not report.is_open:
        errors.setdefault("", []).append(_("Only an open report can be forwarded."))
    if errors:
        raise ReportError(errors)
    late = calendar.working_days_between(report.received_at, timezone.now())
    with transaction.atomic():
        before = report.agency
        report.agency = agency
        if report.status == Status.RECEIVED:
            report.status = Status.ASSIGNED
        report.save()
        note = reason
        if late > FORWARD_WORKING_DAYS:
            note = f"{reason} ({_('forwarded after %(n)d working days') % {'n': late}})"
        _entry(report, EntryKind.FORWARDED, actor, agency=agency, note=note)
        notify.reporter_changed(
            report, str(_("forwarded to %(agency)s") % {"agency": agency.name}), reason
        )
        notify.handlers(
            report, str(_("Report #%(id)s forwarded to you") % {"id": report.pk}), reason
        )
        record(
            actor=as_user(actor),
            action=AuditAction.UPDATE,
            obj=report,
            changes={"agency": [before.pk, agency.pk]},
            message=f"forwarded: {reason}"[:500],
        )
    return report


def resolve(
    report: Report,
    *,
    actor: Actor,
    answer: str,
    uploads: Sequence[tuple[str, IO[bytes]]] = (),
) -> Report:
    """The public answer (required), with optional photos "after". Reports merged into this
    one get the same answer."""
    _require(actor, report)
    errors: dict[str, list[Any]] = {}
    answer = check_text(
        errors, "answer", answer, max_length=DESCRIPTION_MAX, min_length=10, required=True
    )
    cleaned = []
    for name, upload in uploads:
        try:
            cleaned.append(media.clean_photo(upload, name))
        except media.MediaError as error:
            errors.setdefault("media", []).append(error)
    if len(cleaned) > media.MAX_PHOTOS:
        errors.setdefault("media", []).append(
            _("Send at most %(n)d photos.") % {"n": media.MAX_PHOTOS}
        )
    if report.status not in (Status.ASSIGNED, Status.IN_PROGRESS):
        errors.setdefault("", []).append(
            _("Only an assigned report or one in progress can be resolved.")
        )
    if errors:
        raise ReportError(errors)
    with transaction.atomic():
        _move(report, Status.RESOLVED, actor, answer, answer=answer)
        _store_media(report, cleaned, MediaStage.AFTER)
        for duplicate in report.duplicates.filter(status__in=OPEN):
            before = duplicate.status
            duplicate.status, duplicate.answer = Status.RESOLVED, answer
            duplicate.closed_at = report.closed_at
            duplicate.save()
            _entry(
                duplicate,
                EntryKind.STATUS,
                actor,
                from_status=before,
                to_status=Status.RESOLVED,
                note=answer,
            )
            notify.reporter_changed(duplicate, str(Status.RESOLVED.label), answer)
            jobs.clear_overdue(duplicate)
    return report


def close(report: Report, *, actor: Actor, note: str = "") -> Report:
    _require(actor, report)
    with transaction.atomic():
        return _move(report, Status.CLOSED, actor, note)


def add_note(report: Report, *, actor: Actor, note: str, public: bool = False) -> Entry:
    _require(actor, report)
    errors: dict[str, list[Any]] = {}
    note = check_text(errors, "note", note, max_length=2000, required=True)
    if errors:
        raise ReportError(errors)
    return _entry(report, EntryKind.NOTE, actor, note=note, public=public)


def redact(
    report: Report, *, actor: Actor, public_text: str, hide_media: Iterable[int] = ()
) -> Report:
    """A moderator's public version of the text, and photos taken out of public view."""
    _require(actor, report)
    errors: dict[str, list[Any]] = {}
    text = check_text(errors, "public_text", public_text, max_length=DESCRIPTION_MAX)
    if errors:
        raise ReportError(errors)
    with transaction.atomic():
        report.public_text = text
        report.save(update_fields=["public_text", "updated_at"])
        hidden = report.media.filter(pk__in=list(hide_media)).update(hidden=True)
        _entry(
            report,
            EntryKind.REDACTED,
            actor,
            public=False,
            note=str(_("%(n)d photos hidden") % {"n": hidden}),
        )
        record(actor=as_user(actor), action=AuditAction.UPDATE, obj=report, message="redacted")
    return report


def moderate(
    report: Report, *, actor: Actor, spam: bool, block: bool = False, reason: str = ""
) -> Report:
    """A moderator's decision on a flagged (or any) report: ``spam`` rejects it, keeps it out
    of public view and, with ``block``, blocks its IP address and phone; otherwise it is
    approved and shown in public."""
    _require(actor, report)
    with transaction.atomic():
        if not spam:
            report.flagged, report.is_public = False, True
            report.save(update_fields=["flagged", "is_public", "updated_at"])
            _entry(
                report,
                EntryKind.NOTE,
                actor,
                note=str(_("Approved for public view.")),
                public=False,
            )
            record(actor=as_user(actor), action=AuditAction.UPDATE, obj=report, message="approved")
            return report
        reason = reason or str(_("Spam or abusive content."))
        report.flagged, report.is_public = True, False
        if report.status in TRANSITIONS and Status.REJECTED in TRANSITIONS[report.status]:
            _move(report, Status.REJECTED, actor, reason, reject_reason=reason)
        else:
            report.save(update_fields=["flagged", "is_public", "updated_at"])
        if block:
            user = as_user(actor)
            for kind, value in (
                ("ip", report.client_ip or ""),
                ("phone", "".join(c for c in report.phone if c.isdigit())),
            ):
                if value:
                    Blocked.objects.get_or_create(
                        kind=kind,
                        value=value,
                        defaults={"reason": f"#{report.pk}: {reason}"[:300], "created_by": user},
                    )
        record(
            actor=as_user(actor),
            action=AuditAction.UPDATE,
            obj=report,
            message=f"spam{' and blocked' if block else ''}: {reason}"[:500],
        )
    return report


# --- duplicates ------------------------------------------------------------------------------


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def suggest_duplicates(report: Report, limit: int = 5) -> list[tuple[Report, float]]:
    """Reports of the same category within DUPLICATE_METRES and DUPLICATE_DAYS of this one,
    nearest first, with their distance (the handler decides)."""
    if report.lat is None or report.lon is None:
        return []
    dlat = DUPLICATE_METRES / 111_320
    dlon = dlat / max(math.cos(math.radians(report.lat)), 0.01)
    window = dt.timedelta(days=DUPLICATE_DAYS)
    near = (
        Report.objects.filter(
            category=report.category,
            duplicate_of__isnull=True,
            lat__range=(report.lat - dlat, report.lat + dlat),
            lon__range=(report.lon - dlon, report.lon + dlon),
            received_at__range=(report.received_at - window, report.received_at + window),
        )
        .exclude(pk=report.pk)
        .exclude(status=Status.REJECTED)
    )
    found = []
    for other in near.select_related("category")[:200]:
        assert other.lat is not None and other.lon is not None
        metres = distance_m(report.lat, report.lon, other.lat, other.lon)
        if metres <= DUPLICATE_METRES:
            found.append((other, metres))
    found.sort(key=lambda pair: (pair[1], pair[0].received_at))
    return found[:limit]


def split(report: Report, *, actor: Actor, category: str, description: str) -> Report:
    """Split off a part of a report about another matter as a new report of its own (same
    reporter, place, photos' consent and receipt time; its own category, routing and
    deadline). Both histories say so; the reporter hears of the new one."""
    _require(actor, report)
    errors: dict[str, list[Any]] = {}
    chosen = Category.objects.filter(code=category, is_active=True).first()
    if chosen is None:
        errors["category"] = [_("Choose a category from the list.")]
    text = check_text(
        errors,
        "description",
        description,
        max_length=DESCRIPTION_MAX,
        min_length=DESCRIPTION_MIN,
        required=True,
    )
    if errors or chosen is None:
        raise ReportError(errors)
    agency = route(chosen, report.unit)
    with transaction.atomic():
        part = Report.objects.create(
            category=chosen,
            description=text,
            public_text=mask_contacts(text),
            lat=report.lat,
            lon=report.lon,
            address=report.address,
            unit=report.unit,
            agency=agency,
            channel=report.channel,
            received_at=report.received_at,
            due_at=calendar.due_at(timezone.now(), chosen.deadline, chosen.deadline_unit),
            reporter=report.reporter,
            anonymous=report.anonymous,
            name=report.name,
            phone=report.phone,
            email=report.email,
            photos_public=report.photos_public,
            client=report.client,
            client_ip=report.client_ip,
        )
        _entry(
            part,
            EntryKind.STATUS,
            actor,
            to_status=Status.RECEIVED,
            note=str(_("Split from report #%(id)s.") % {"id": report.pk}),
        )
        _entry(part, EntryKind.ROUTED, None, agency=agency)
        _entry(
            report,
            EntryKind.NOTE,
            actor,
            note=str(_("Split into report #%(id)s.") % {"id": part.pk}),
        )
        record(
            actor=as_user(actor),
            action=AuditAction.CREATE,
            obj=part,
            message=f"split from #{report.pk}",
        )
        notify.reporter_changed(
            part,
            str(_("split from report #%(id)s") % {"id": report.pk}),
            str(_("Your tracking code: %(code)s") % {"code": part.tracking_code}),
        )
        notify.handlers(
            part,
            str(_("New report #%(id)s: %(category)s") % {"id": part.pk, "category": chosen}),
            text,
        )
    return part


def merge(duplicate: Report, into: Report, *, actor: Actor) -> Report:
    """Merge ``duplicate`` into ``into``: it follows ``into`` from now on, and its reporter
    gets ``into``'s answer."""
    _require(actor, duplicate)
    _require(actor, into)
    if duplicate.pk == into.pk or into.duplicate_of_id is not None:
        raise InvalidTransition(_("Merge into a report that is not itself merged."))
    with transaction.atomic():
        duplicate.duplicate_of = into
        if into.status in (Status.RESOLVED, Status.CLOSED):
            duplicate.status, duplicate.answer = Status.RESOLVED, into.answer
            duplicate.closed_at = duplicate.closed_at or timezone.now()
        duplicate.save()
        jobs.clear_overdue(duplicate)  # it is followed as part of ``into`` from now on
        # Reports merged into the duplicate follow it.
        duplicate.duplicates.update(duplicate_of=into)
        _entry(duplicate, EntryKind.MERGED, actor, note=f"#{into.pk}")
        notify.reporter_changed(
            duplicate, str(_("merged with report #%(id)s about the same problem") % {"id": into.pk})
        )
        _entry(into, EntryKind.MERGED, actor, note=f"#{duplicate.pk}", public=False)
        record(
            actor=as_user(actor),
            action=AuditAction.UPDATE,
            obj=duplicate,
            changes={"duplicate_of": [None, into.pk]},
            message="merged",
        )
    return duplicate


# --- the reporter ----------------------------------------------------------------------------


def by_tracking_code(code: str) -> Report | None:
    code = re.sub(r"[\s-]", "", str(code or "")).upper()
    if not code or len(code) > 16:
        return None
    return (
        Report.objects.select_related("category", "agency", "unit")
        .filter(tracking_code=code)
        .first()
    )


def can_reopen(report: Report, now: dt.datetime | None = None) -> bool:
    if report.status not in (Status.RESOLVED, Status.CLOSED) or report.closed_at is None:
        return False
    return (now or timezone.now()) - report.closed_at <= dt.timedelta(days=REOPEN_DAYS)


def reopen(report: Report, *, reason: str) -> Report:
    """The reporter's "this does not solve it", within REOPEN_DAYS of the answer: back to
    the handling agency with a new deadline."""
    errors: dict[str, list[Any]] = {}
    reason = check_text(
        errors, "reason", reason, max_length=1000, min_length=DESCRIPTION_MIN, required=True
    )
    if not can_reopen(report):
        errors.setdefault("", []).append(
            _("A report can be reopened only within %(n)d days of its answer.") % {"n": REOPEN_DAYS}
        )
    if errors:
        raise ReportError(errors)
    now = timezone.now()
    with transaction.atomic():
        before = report.status
        report.status = Status.ASSIGNED
        report.closed_at = None
        report.rating, report.rating_comment, report.rated_at = "", "", None
        report.due_at = calendar.due_at(
            now, report.category.deadline, report.category.deadline_unit
        )
        report.save()
        _entry(
            report,
            EntryKind.REOPENED,
            None,
            from_status=before,
            to_status=Status.ASSIGNED,
            note=reason,
        )
        notify.handlers(
            report, str(_("Report #%(id)s reopened by the reporter") % {"id": report.pk}), reason
        )
    return report


def rate(report: Report, *, rating: str, comment: str = "") -> Report:
    """The reporter's rating of the answer: satisfied or not, with an optional comment."""
    errors: dict[str, list[Any]] = {}
    comment = check_text(errors, "comment", comment, max_length=500)
    if rating not in Rating.values:
        errors.setdefault("rating", []).append(_("Choose satisfied or not satisfied."))
    if report.status not in (Status.RESOLVED, Status.CLOSED):
        errors.setdefault("", []).append(_("Only an answered report can be rated."))
    if errors:
        raise ReportError(errors)
    with transaction.atomic():
        report.rating, report.rating_comment, report.rated_at = rating, comment, timezone.now()
        report.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
        _entry(report, EntryKind.RATED, None, note=f"{Rating(rating).label}. {comment}".strip(". "))
    return report


def visible_to_reporter(user: Actor) -> Q:
    """The reports a logged-in citizen filed."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(reporter=user)
