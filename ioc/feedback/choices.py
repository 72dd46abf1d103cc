"""The states of a citizen's report, the channels it comes by, and how deadlines count."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("report status", "Received")
    ACCEPTED = "accepted", pgettext_lazy("report status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("report status", "Rejected")
    ASSIGNED = "assigned", pgettext_lazy("report status", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("report status", "In progress")
    RESOLVED = "resolved", pgettext_lazy("report status", "Resolved")
    CLOSED = "closed", pgettext_lazy("report status", "Closed")


# Still on a handler's plate: the deadline runs.
OPEN = (Status.RECEIVED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS)
# Open311's two statuses.
OPEN311_CLOSED = (Status.REJECTED, Status.RESOLVED, Status.CLOSED)

# What a handler may do from each state (the reporter's reopen is separate).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: (Status.ACCEPTED, Status.REJECTED, Status.ASSIGNED),
    Status.ACCEPTED: (Status.ASSIGNED, Status.IN_PROGRESS, Status.REJECTED),
    Status.ASSIGNED: (Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED),
    Status.IN_PROGRESS: (Status.RESOLVED,),
    Status.RESOLVED: (Status.CLOSED,),
    Status.REJECTED: (),
    Status.CLOSED: (),
}


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    HOTLINE = "hotline", _("Hotline")
    OPEN311 = "open311", _("App (Open311)")
    WEBHOOK = "webhook", _("Other channel")


class DeadlineUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    HOURS = "hours", _("hours")


class RouteTo(models.TextChoices):
    AGENCY = "agency", _("The category's agency")
    COMMUNE = "commune", _("The commune's people's committee where the pin is")


class EntryKind(models.TextChoices):
    STATUS = "status", _("Status changed")
    ROUTED = "routed", _("Routed")
    FORWARDED = "forwarded", _("Forwarded")
    NOTE = "note", _("Note")
    MERGED = "merged", _("Merged")
    RATED = "rated", _("Rated")
    REOPENED = "reopened", _("Reopened")
    REDACTED = "redacted", _("Redacted")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Not satisfied")


class MediaKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")


class MediaStage(models.TextChoices):
    BEFORE = "before", _("Reported")
    AFTER = "after", _("After")
