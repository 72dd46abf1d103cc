"""Scheduled publishing on the platform's scheduler, and the CMS's log in the audit log.

Wagtail publishes a page approved "to go live at" a time, and takes down one past its
"expiry", only when its ``publish_scheduled`` command runs. Here it is a periodic job of the
platform's scheduler (the same one that runs the connections), so it runs wherever the
platform runs and shows in the jobs' history: it cannot silently not run.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.management import call_command
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import ModelLogEntry, Page, PageLogEntry, Revision

from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.jobs.periodic import periodic

_mirror: ContextVar[bool] = ContextVar("ioc_portal_mirror", default=True)


@contextmanager
def unaudited() -> Iterator[None]:
    """The platform building pages itself (the skeleton at migrate, the demo's content): Wagtail
    still logs them in the pages' history, the platform's audit log is kept for people."""
    token = _mirror.set(False)
    try:
        yield
    finally:
        _mirror.reset(token)


ACTIONS = {
    "wagtail.create": AuditAction.CREATE,
    "wagtail.edit": AuditAction.UPDATE,
    "wagtail.delete": AuditAction.DELETE,
}


@periodic("portal.publish", every=dt.timedelta(minutes=1))
def publish_scheduled(now: dt.datetime) -> dict[str, Any]:
    due = Revision.page_revisions.filter(approved_go_live_at__lte=now).count()
    expired = Page.objects.filter(live=True, expire_at__lt=now).count()
    if due or expired:
        call_command("publish_scheduled", stdout=io.StringIO())
    return {"published": due, "expired": expired}


@receiver(post_save, sender=PageLogEntry, dispatch_uid="ioc.portal.audit")
def _audit(
    sender: type[PageLogEntry], instance: PageLogEntry, created: bool, **kwargs: Any
) -> None:
    """Every CMS action on a page (edit, submit, approve, reject, publish, unpublish, lock,
    revert, delete) also goes into the platform's audit log, with who did it."""
    if created and _mirror.get():
        _record(instance, "portal.page", str(instance.page_id))


@receiver(post_save, sender=ModelLogEntry, dispatch_uid="ioc.portal.audit-models")
def _audit_model(
    sender: type[ModelLogEntry], instance: ModelLogEntry, created: bool, **kwargs: Any
) -> None:
    """The same for images, files, answers to questions and moderated comments."""
    if created and _mirror.get():
        model = instance.content_type.model_class()
        kind = model._meta.label_lower if model else instance.content_type.model
        _record(instance, kind, str(instance.object_id))


def _record(entry: Any, object_type: str, object_id: str) -> None:
    record(
        actor=entry.user,
        action=ACTIONS.get(entry.action, AuditAction.ACTION),
        object_type=object_type,
        object_id=object_id,
        object_repr=entry.label,
        message=entry.action,
    )
