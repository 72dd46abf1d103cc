"""The audit log's one write path: ``record(...)``. Services call it; nothing edits entries."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from ioc.core.choices import AuditAction
from ioc.core.models import AuditEntry

if TYPE_CHECKING:
    from ioc.accounts.models import User


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""


_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "ioc_request_context", default=None
)


@contextlib.contextmanager
def bind_request_context(ctx: RequestContext) -> Iterator[None]:
    token = _context.set(ctx)
    try:
        yield
    finally:
        _context.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


SENSITIVE_FIELDS = {"password", "secret", "token", "key", "credentials"}


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of obj, secrets masked, ready for JSON."""
    names = list(fields) if fields is not None else [f.name for f in obj._meta.concrete_fields]
    out: dict[str, Any] = {}
    for name in names:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        value = getattr(obj, attname, None)
        if any(word in name for word in SENSITIVE_FIELDS):
            value = "***" if value else ""
        out[name] = _plain(value)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, as {"field": [before, after]}."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    *,
    actor: User | None,
    action: str | AuditAction,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    message: str = "",
) -> AuditEntry:
    ctx = _context.get() or RequestContext()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    authenticated = actor is not None and actor.is_authenticated
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated and actor else "",
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        changes=changes or {},
        message=message,
    )
