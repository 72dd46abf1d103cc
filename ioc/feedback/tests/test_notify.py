"""Reporters are told of every change; handlers of new, due-soon and overdue reports; the
supervising agency of overdue ones; a gateway that is down loses nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry
from ioc.feedback import jobs, notify, services
from ioc.feedback.models import Notification, Report
from ioc.feedback.tests.conftest import IN_TDM
from ioc.jobs.models import JobRun
from ioc.jobs.periodic import REGISTRY, forget, run_due
from ioc.operations.models import Event

pytestmark = pytest.mark.django_db


def report(**fields: Any) -> Report:
    sub = {
        "category": "rac-thai",
        "description": "Rác thải đổ trộm ở đầu hẻm 12 đã ba ngày.",
        "lat": IN_TDM[0],
        "lon": IN_TDM[1],
        "email": "dan@example.vn",
        "phone": "0912345678",
        "answers": {"loai": "sinh-hoat"},
        **fields,
    }
    return services.submit_report(services.Submission(**sub))


@pytest.fixture
def ward_handler(area: Any, make_user: Any) -> Any:
    return make_user(
        "xuly",
        roles=[Role.FEEDBACK_HANDLER],
        units=[area["units"]["new_tdm"]],
        agency=area["agencies"]["ward"],
        email="xuly@ubnd.vn",
    )


def test_the_reporter_hears_of_every_change_by_email_and_sms(
    area, ward_handler, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="ioc.feedback.notify")
    filed = report()
    # the sending is queued for the task worker in the report's own transaction...
    queued = DBTaskResult.objects.get(task_path=notify.deliver_task.module_path)
    assert sorted(queued.args_kwargs["args"][0]) == sorted(
        filed.notifications.values_list("pk", flat=True)
    )
    notify.deliver()  # ...which runs this
    to_reporter = [m for m in mailoutbox if m.to == ["dan@example.vn"]]
    assert len(to_reporter) == 1 and filed.tracking_code in to_reporter[0].body
    assert "Đã tiếp nhận" in to_reporter[0].subject  # in Vietnamese
    assert [m.to for m in mailoutbox if m.to != ["dan@example.vn"]] == [["xuly@ubnd.vn"]]
    assert "SMS to 0912345678" in caplog.text  # the console gateway
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(filed, actor=ward_handler, note="internal: call the team")
        services.start(filed, actor=ward_handler)
        services.resolve(filed, actor=ward_handler, answer="Đã thu gom toàn bộ rác thải.")
    notify.deliver()
    bodies = [m.body for m in mailoutbox if m.to == ["dan@example.vn"]]
    assert len(bodies) == 4
    assert "Đã thu gom toàn bộ rác thải." in bodies[-1]
    assert not any("internal" in b for b in bodies)  # handlers' notes stay inside
    assert Notification.objects.filter(state="sent").count() == Notification.objects.count()


def test_an_anonymous_report_without_contacts_sends_nothing_to_the_reporter(area, mailoutbox):
    filed = report(email="", phone="", anonymous=True)
    assert not Notification.objects.filter(report=filed, audience="reporter").exists()


class Down:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")


def test_a_gateway_down_keeps_the_message_for_the_retry(area, settings):
    settings.IOC_SMS_BACKEND = "ioc.feedback.tests.test_notify.Down"
    filed = report(email="")
    row = Notification.objects.get(report=filed, channel="sms")
    notify.deliver()
    row.refresh_from_db()
    assert row.state == "pending" and row.attempts == 1 and "gateway down" in row.error
    settings.IOC_SMS_BACKEND = "console"
    notify.deliver()
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts == 2


def test_due_soon_reminds_and_overdue_escalates_once(area, ward_handler, mailoutbox):
    filed = report()
    now = timezone.now()
    Report.objects.filter(pk=filed.pk).update(due_at=now + dt.timedelta(hours=3))
    assert jobs.remind(now) == 1 and jobs.remind(now) == 0
    assert Notification.objects.filter(report=filed, subject__contains="Nhắc").count() == 1
    late = report()
    Report.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=1))
    area["agencies"]["ward"].parent = area["agencies"]["health"]
    area["agencies"]["ward"].save()
    area["agencies"]["health"].email = "so@y-te.vn"
    area["agencies"]["health"].save()
    assert jobs.escalate(now) == 1 and jobs.escalate(now) == 0
    event = Event.objects.get(dedup_key=f"feedback:overdue:{late.pk}")
    assert event.category == "overdue-report" and event.agency == area["agencies"]["ward"]
    assert event.link == f"/ioc/feedback/{late.pk}/"
    assert Notification.objects.filter(report=late, audience="supervisor", to="so@y-te.vn").exists()
    note = late.entries.get(kind="note")
    assert not note.public and "Sở Y tế" in note.note


def test_answering_an_overdue_report_resolves_its_event(area, ward_handler):
    now = timezone.now()
    late, other = report(), report()
    Report.objects.filter(pk__in=[late.pk, other.pk]).update(due_at=now - dt.timedelta(hours=1))
    assert jobs.escalate(now) == 2
    late.refresh_from_db()
    services.assign(late, area["agencies"]["ward"], actor=ward_handler)
    event = Event.objects.get(dedup_key=f"feedback:overdue:{late.pk}")
    assert event.status == "open"  # assigned is not answered
    services.resolve(late, actor=ward_handler, answer="Đã thu gom toàn bộ rác thải.")
    event.refresh_from_db()
    assert event.status == "resolved" and f"#{late.pk}" in event.note
    assert Event.objects.get(dedup_key=f"feedback:overdue:{other.pk}").status == "open"
    audit = AuditEntry.objects.filter(object_id=str(event.pk), action="update").get()
    assert audit.actor is None and audit.message == "event resolved by its source"


def test_the_scheduler_runs_the_deadlines_job_and_records_it(area):
    assert "feedback.deadlines" in REGISTRY
    forget()
    now = timezone.now()
    assert "feedback.deadlines" in run_due(now)
    assert "feedback.deadlines" not in run_due(now + dt.timedelta(minutes=1))  # not yet
    assert "feedback.deadlines" in run_due(now + dt.timedelta(minutes=6))
    runs = JobRun.objects.filter(name="feedback.deadlines")
    assert runs.count() == 2 and {r.status for r in runs} == {"completed"}
