"""Citizens' reports ("phản ánh, kiến nghị"; Open311's service requests), their categories
(Open311's services), each report's history and its photos.

What is public and what is not is decided here, once: a report's public face is its
category, status, place (unit, rounded pin), the public text (the description with phone
numbers and e-mail addresses masked, or a moderator's redaction), the agency handling it and
its public answer. Names, phone numbers, e-mail addresses and the original description are
for handlers only; photos are public only when the reporter agreed and no moderator hid them.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioc.core.models import AdministrativeUnit, Agency, BilingualName, Sector
from ioc.core.text import fold
from ioc.feedback.choices import (
    OPEN,
    Channel,
    DeadlineUnit,
    EntryKind,
    MediaKind,
    MediaStage,
    Rating,
    RouteTo,
    Status,
)

# No 0/O, 1/I/L: read out over the phone without mistakes.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


class Category(BilingualName, models.Model):
    """A kind of problem citizens report (Open311: a service), in a tree by sector."""

    code = models.SlugField(
        _("code"),
        max_length=60,
        unique=True,
        help_text=_("Open311 service_code: stable, used by apps."),
    )
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    sector = models.ForeignKey(
        Sector, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("sector")
    )
    agency = models.ForeignKey(
        Agency,
        models.PROTECT,
        related_name="+",
        verbose_name=_("default handling agency"),
    )
    route_to = models.CharField(
        _("route to"), max_length=10, choices=RouteTo.choices, default=RouteTo.AGENCY
    )
    deadline = models.PositiveIntegerField(_("handling deadline"), default=3)
    deadline_unit = models.CharField(
        _("deadline counted in"),
        max_length=14,
        choices=DeadlineUnit.choices,
        default=DeadlineUnit.WORKING_DAYS,
    )
    attributes = models.JSONField(
        _("extra questions"),
        default=list,
        blank=True,
        help_text=_(
            "Open311 service definition attributes: a list of {code, datatype, required, "
            "description, values}."
        ),
    )
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def group(self) -> str:
        return self.parent.label if self.parent_id and self.parent else ""

    def question(self, code: str) -> dict[str, Any] | None:
        return next((a for a in self.attributes if a.get("code") == code), None)


def search(qs: models.QuerySet[Report], query: str) -> Any:
    """Every word in the public text, with or without diacritics ("nuoc ngap" finds
    "Nước ngập"), on any database: the text is stored folded too."""
    for word in fold(query).split():
        qs = qs.filter(text_folded__contains=word)
    return qs


class ReportQuerySet(models.QuerySet["Report"]):
    def open(self) -> ReportQuerySet:
        return self.filter(status__in=OPEN)

    def overdue(self, now: Any = None) -> ReportQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def public(self) -> ReportQuerySet:
        """What the public pages, feeds and Open311 may show: not spam, not merged away."""
        return self.filter(is_public=True, duplicate_of__isnull=True)

    def search(self, query: str) -> ReportQuerySet:
        found: ReportQuerySet = search(self, query)
        return found


class Report(models.Model):
    scope_paths = {"unit": "unit", "sector": "category__sector", "agency": "agency"}

    tracking_code = models.CharField(
        _("tracking code"), max_length=16, unique=True, default=new_tracking_code, editable=False
    )
    category = models.ForeignKey(
        Category, models.PROTECT, related_name="reports", verbose_name=_("category")
    )
    description = models.TextField(_("description"))
    public_text = models.TextField(
        _("public text"),
        blank=True,
        help_text=_("What the public sees: the description without contact details."),
    )
    text_folded = models.TextField(blank=True, editable=False)
    answers = models.JSONField(_("answers to the extra questions"), default=dict, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    agency = models.ForeignKey(
        Agency, models.PROTECT, related_name="+", verbose_name=_("handling agency")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The reporter: private.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_reports",
        verbose_name=_("reporter's account"),
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    photos_public = models.BooleanField(
        _("photos may be public"),
        default=False,
        help_text=_("The reporter agreed that the photos (which may show people) are public."),
    )
    # Handling
    answer = models.TextField(_("public answer"), blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    is_public = models.BooleanField(_("shown in public"), default=True)
    flagged = models.BooleanField(_("flagged as abusive"), default=False)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    client = models.CharField(
        _("client"), max_length=120, blank=True, help_text=_("The app or gateway it came from.")
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("citizen report")
        verbose_name_plural = _("citizen reports")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["category", "received_at"]),
            models.Index(fields=["client_ip", "received_at"]),  # rate limits
            # Open311's GET requests and the public list: the public reports, newest first.
            models.Index(
                fields=["received_at", "id"],
                condition=models.Q(is_public=True, duplicate_of__isnull=True),
                name="report_public_by_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category.label if self.category_id else ''}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.text_folded = fold(self.public_text)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "public_text" in update_fields:
            kwargs["update_fields"] = {*update_fields, "text_folded"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def reporter_label(self) -> str:
        return "" if self.anonymous else self.name

    def public_point(self) -> tuple[float, float] | None:
        """The pin, rounded to about 10 m: enough to find a pothole, not a front door."""
        if self.lat is None or self.lon is None:
            return None
        return round(self.lon, 4), round(self.lat, 4)


class Entry(models.Model):
    """One timestamped step of a report's life: who did what, and why."""

    report = models.ForeignKey(
        Report, models.CASCADE, related_name="entries", verbose_name=_("report")
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    agency = models.ForeignKey(
        Agency, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("agency")
    )
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("shown to the reporter and the public"), default=True)

    class Meta:
        verbose_name = _("report history entry")
        verbose_name_plural = _("report history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


def media_path(instance: Media, filename: str) -> str:
    now = timezone.now()
    return f"feedback/{now:%Y/%m}/{filename}"


class Media(models.Model):
    """A photo or short video with a report (EXIF already stripped) or with its answer."""

    report = models.ForeignKey(
        Report, models.CASCADE, related_name="media", verbose_name=_("report")
    )
    kind = models.CharField(_("kind"), max_length=6, choices=MediaKind.choices)
    stage = models.CharField(
        _("stage"), max_length=6, choices=MediaStage.choices, default=MediaStage.BEFORE
    )
    file = models.FileField(_("file"), upload_to=media_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=media_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    hidden = models.BooleanField(_("hidden by a moderator"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report photo or video")
        verbose_name_plural = _("report photos and videos")
        ordering = ["stage", "id"]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.pk} {self.kind}"

    @property
    def is_public(self) -> bool:
        """Answers' photos are the agency's, public; the reporter's only with consent."""
        if self.hidden:
            return False
        return self.stage == MediaStage.AFTER or self.report.photos_public


class ApiClient(models.Model):
    """An app or gateway allowed to file reports: Open311 clients (``api_key``) and the
    inbound webhook of other channels (Zalo, an e-mail gateway). Only the key's SHA-256 is
    kept; the key is shown once when it is issued."""

    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.OPEN311
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class Notification(models.Model):
    """A message to a reporter or a handler, kept until it is sent (and after, as the record
    of who was told what). Written in the same transaction as the change it tells of, so a
    crash between the change and the sending loses nothing: the periodic job sends what is
    left."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    report = models.ForeignKey(
        Report, models.CASCADE, related_name="notifications", verbose_name=_("report")
    )
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    audience = models.CharField(_("audience"), max_length=12)  # reporter | handler | supervisor
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}: {self.subject}"


class Blocked(models.Model):
    """An IP address, phone number or e-mail address whose reports are refused (abuse)."""

    class Kind(models.TextChoices):
        IP = "ip", _("IP address")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    reason = models.CharField(_("reason"), max_length=300)
    until = models.DateTimeField(_("blocked until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("blocked sender")
        verbose_name_plural = _("blocked senders")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="blocked_unique")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"
