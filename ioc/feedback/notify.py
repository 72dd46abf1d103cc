"""Telling people: the reporter of every change of their report (e-mail and/or a text
message, to the contact they gave), handlers of new and due-soon reports, the supervising
agency of overdue ones.

Messages are :class:`~ioc.feedback.models.Notification` rows written in the transaction of
the change, sent after it commits (:func:`deliver`), and retried by the periodic deadlines
job when a gateway was down (up to ``MAX_ATTEMPTS``). Reporters are written to in
Vietnamese. Text messages go through the backend named by ``IOC_SMS_BACKEND``: ``console``
(the log, in the demo) or the dotted path of a class with ``send(phone, text)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from ioc.accounts.models import User
from ioc.core.memo import remember
from ioc.feedback.models import Notification, Report
from ioc.jobs.queue import enqueue_with_commit

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSms:
    """Writes text messages to the log: the demo's and the tests' gateway."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def sms_backend() -> SmsBackend:
    name = getattr(settings, "IOC_SMS_BACKEND", "console")
    if name == "console":
        return ConsoleSms()
    backend: SmsBackend = import_string(name)()
    return backend


def tracking_link(report: Report) -> str:
    path = reverse("feedback:tracked", kwargs={"code": report.tracking_code})
    return f"{settings.IOC_PUBLIC_URL}{path}"


def staff_link(report: Report) -> str:
    return f"{settings.IOC_PUBLIC_URL}{reverse('reports:detail', args=[report.pk])}"


def message(
    report: Report, audience: str, channel: str, to: str, subject: str, body: str
) -> Notification:
    return Notification(
        report=report, channel=channel, to=to, audience=audience, subject=subject[:200], body=body
    )


def save(rows: Iterable[Notification]) -> list[Notification]:
    """Write the messages that have an address (one insert) and have them sent after the
    commit (one task)."""
    rows = [r for r in rows if r.to]
    if rows:
        Notification.objects.bulk_create(rows)
        # Sent by the task worker, never in the request (a slow mail server must not slow
        # the form); the periodic job sends whatever a lost task left behind.
        enqueue_with_commit(deliver_task, [r.pk for r in rows if r.pk])
    return rows


def queue(
    report: Report, audience: str, subject: str, body: str, to: Iterable[tuple[str, str]]
) -> list[Notification]:
    return save(
        message(report, audience, channel, address, subject, body) for channel, address in to
    )


def reporter_changed(
    report: Report, what: str, note: str = "", *, send: bool = True
) -> list[Notification]:
    """Tell the reporter that their report changed (``what``: the new state, in words).
    ``send=False``: the messages, unsaved, for the caller to :func:`save` with others."""
    with translation.override("vi"):
        subject = _("Report #%(id)s: %(what)s") % {"id": report.pk, "what": what}
        body = "\n\n".join(
            part
            for part in (
                _("Your report #%(id)s (%(category)s) is now: %(what)s.")
                % {"id": report.pk, "category": report.category.name, "what": what},
                note,
                _("Follow it here: %(link)s") % {"link": tracking_link(report)},
            )
            if part
        )
        text = f"{subject}. {tracking_link(report)}"
    rows = [
        message(report, "reporter", "email", report.email, subject, body),
        message(report, "reporter", "sms", report.phone, subject, text),
    ]
    return save(rows) if send else rows


def handlers_of(report: Report) -> list[str]:
    """E-mail addresses of the active accounts of the report's agency that may handle it."""
    return agency_handlers(report.agency_id)


@remember(30, User, Group, Permission)
def agency_handlers(agency_id: int) -> list[str]:
    # One query (who holds the permission, by role or directly), not two per account.
    users = User.objects.with_perm(
        "feedback.change_report", backend="django.contrib.auth.backends.ModelBackend"
    )
    emails = (
        users.filter(Q(agency=agency_id) | Q(scope_agencies=agency_id))
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(emails))


def handlers(
    report: Report, subject: str, body: str, audience: str = "handler", *, send: bool = True
) -> list[Notification]:
    body = f"{body}\n\n{staff_link(report)}"
    rows = [message(report, audience, "email", e, subject, body) for e in handlers_of(report)]
    return save(rows) if send else rows


@task()
def deliver_task(ids: list[int]) -> dict[str, int]:
    return deliver(ids)


def deliver(ids: Iterable[int] | None = None) -> dict[str, int]:
    """Send pending notifications (the given ones, or every pending one); a failure is
    recorded on the row and retried later, up to MAX_ATTEMPTS."""
    pending = Notification.objects.filter(state=Notification.State.PENDING)
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    sent = failed = 0
    sms: SmsBackend | None = None
    for row in pending.order_by("pk")[:500]:
        row.attempts += 1
        try:
            if row.channel == Notification.Channel.EMAIL:
                send_mail(row.subject, row.body, None, [row.to])
            else:
                sms = sms or sms_backend()
                sms.send(row.to, row.body)
        except Exception as error:  # a gateway down must not lose the message
            row.error = f"{type(error).__name__}: {error}"[:300]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = Notification.State.FAILED
            failed += 1
            logger.warning("notification %s not sent: %s", row.pk, row.error)
        else:
            row.state, row.sent_at, row.error = Notification.State.SENT, timezone.now(), ""
            sent += 1
        row.save(update_fields=["state", "attempts", "error", "sent_at"])
    return {"sent": sent, "failed": failed}
