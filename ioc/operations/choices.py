"""CAP 1.2 (Common Alerting Protocol) severity, urgency and certainty, with our statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
