"""The reports' periodic job (every 5 minutes, run by the scheduler's tick): reminders of
reports due within a day, escalation of overdue ones to the supervising agency (an
operations event for the operators, a message to the supervising agency and the handlers),
and the retry of notifications a gateway did not take."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ioc.feedback import notify
from ioc.feedback.choices import OPEN, EntryKind
from ioc.feedback.models import Entry, Report
from ioc.jobs.periodic import periodic
from ioc.operations.services import clear_events, raise_event

DUE_SOON = dt.timedelta(hours=24)


def overdue_key(report: Report) -> str:
    return f"feedback:overdue:{report.pk}"


def clear_overdue(report: Report) -> None:
    """The report is answered (or rejected, or merged): its overdue event, if any, is over."""
    with translation.override("vi"):
        note = _("Report #%(id)s is now: %(status)s.") % {
            "id": report.pk,
            "status": report.get_status_display(),
        }
    clear_events(overdue_key(report), note)


def remind(now: dt.datetime) -> int:
    due = Report.objects.filter(
        status__in=OPEN,
        duplicate_of__isnull=True,
        reminded_at__isnull=True,
        due_at__gte=now,
        due_at__lt=now + DUE_SOON,
    ).select_related("category", "agency")
    count = 0
    for report in due[:1000]:
        with transaction.atomic(), translation.override("vi"):
            Report.objects.filter(pk=report.pk).update(reminded_at=now)
            notify.handlers(
                report,
                _("Reminder: report #%(id)s is due at %(due)s")
                % {"id": report.pk, "due": f"{timezone.localtime(report.due_at):%H:%M %d/%m/%Y}"},
                report.public_text,
            )
        count += 1
    return count


def escalate(now: dt.datetime) -> int:
    overdue = Report.objects.filter(
        status__in=OPEN, duplicate_of__isnull=True, escalated_at__isnull=True, due_at__lt=now
    ).select_related("category", "agency__parent", "unit")
    count = 0
    for report in overdue[:1000]:
        supervisor = report.agency.parent or report.agency
        with transaction.atomic(), translation.override("vi"):
            Report.objects.filter(pk=report.pk).update(escalated_at=now)
            note = _("Overdue since %(due)s: escalated to %(agency)s.") % {
                "due": f"{timezone.localtime(report.due_at):%H:%M %d/%m/%Y}",
                "agency": supervisor.name,
            }
            Entry.objects.create(
                report=report, kind=EntryKind.NOTE, at=now, note=note, public=False
            )
            raise_event(
                source="feedback",
                category="overdue-report",
                headline=_("Report #%(id)s (%(category)s) is overdue at %(agency)s")
                % {"id": report.pk, "category": report.category.name, "agency": report.agency.name},
                severity="moderate",
                urgency="expected",
                certainty="observed",
                occurred_at=report.due_at,
                description=report.public_text[:1000],
                link=reverse("reports:detail", args=[report.pk]),
                obj=report,
                unit=report.unit,
                sector=report.category.sector,
                agency=report.agency,
                dedup_key=overdue_key(report),
            )
            subject = _("Overdue report #%(id)s at %(agency)s") % {
                "id": report.pk,
                "agency": report.agency.name,
            }
            notify.handlers(report, subject, note)
            if supervisor.email and supervisor != report.agency:
                notify.queue(
                    report,
                    "supervisor",
                    subject,
                    f"{note}\n\n{notify.staff_link(report)}",
                    [("email", supervisor.email)],
                )
        count += 1
    return count


@periodic("feedback.deadlines", every=dt.timedelta(minutes=5))
def deadlines(now: dt.datetime) -> dict[str, Any]:
    return {"reminded": remind(now), "escalated": escalate(now), **notify.deliver()}
