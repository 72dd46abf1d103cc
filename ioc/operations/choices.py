"""CAP 1.2 (Common Alerting Protocol) severity, urgency and certainty, with our statuses."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class Severity(models.TextChoices):
    EXTREME = "extreme", _("Extreme")
    SEVERE = "severe", _("Severe")
    MODERATE = "moderate", _("Moderate")
    MINOR = "minor", _("Minor")
    UNKNOWN = "unknown", _("Unknown")


SEVERITY_RANK = {"extreme": 4, "severe": 3, "moderate": 2, "minor": 1, "unknown": 0}


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate")
    EXPECTED = "expected", _("Expected")
    FUTURE = "future", _("Future")
    PAST = "past", _("Past")
    UNKNOWN = "unknown", _("Unknown")


class Certainty(models.TextChoices):
    OBSERVED = "observed", _("Observed")
    LIKELY = "likely", _("Likely")
    POSSIBLE = "possible", _("Possible")
    UNLIKELY = "unlikely", _("Unlikely")
    UNKNOWN = "unknown", _("Unknown")


class EventStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


# Open or acknowledged: still on an operator's plate. Deduplication works within these.
UNRESOLVED = (EventStatus.OPEN.value, EventStatus.ACKNOWLEDGED.value)


# Labels for the categories the platform's apps raise. An app that raises a new category adds
# its label here (or with `register_category` from its AppConfig.ready()); an unknown category
# is shown as its code.
CATEGORY_LABELS: dict[str, StrOrPromise] = {
    "flood": _("Flooding"),
    "traffic": _("Traffic"),
    "air-quality": _("Air quality"),
    "health": _("Public health"),
    "public-order": _("Public order"),
    "late-data": _("Late data"),
    "camera-offline": _("Camera offline"),
    "overdue-report": _("Overdue citizen report"),
    "job-failed": _("Failed job"),
}


def register_category(code: str, label: StrOrPromise) -> None:
    if code in CATEGORY_LABELS and CATEGORY_LABELS[code] != label:
        raise ValueError(f"event category {code!r} already has another label")
    CATEGORY_LABELS[code] = label


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code))
