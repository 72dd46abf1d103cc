"""``ioc open311_key NAME [--channel open311|webhook]``: issue an API key to an app or a
gateway; ``ioc open311_key --revoke PREFIX``: revoke it.

The key is printed once and never stored: only its SHA-256 and its first 8 characters (to
recognise it in lists and to revoke it) are kept. Both are recorded in the audit log.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.feedback.choices import Channel
from ioc.feedback.models import ApiClient
from ioc.feedback.open311 import key_hash

PREFIX_LENGTH = 8


def issue(name: str, channel: str = Channel.OPEN311) -> tuple[ApiClient, str]:
    """A new active client and its key (shown once).

    A key never starts with "-": its prefix is typed after ``--revoke``, where argparse would
    read a leading dash as another option.
    """
    key = secrets.token_urlsafe(32)
    while key.startswith("-"):
        key = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(
            name=name, channel=channel, key_hash=key_hash(key), key_prefix=key[:PREFIX_LENGTH]
        )
        record(actor=None, action=AuditAction.CREATE, obj=client, message="open311 key issued")
    return client, key


def revoke(prefix: str) -> ApiClient:
    found = list(ApiClient.objects.filter(key_prefix=prefix, is_active=True))
    if not found:
        raise CommandError(
            f"Không có khoá đang dùng bắt đầu bằng {prefix!r}.\n"
            f"No active key starts with {prefix!r}."
        )
    if len(found) > 1:  # pragma: no cover - 48 random bits
        raise CommandError(
            f"Nhiều khoá bắt đầu bằng {prefix!r}: thu hồi trong trang quản trị.\n"
            f"Several keys start with {prefix!r}: revoke in the admin."
        )
    client = found[0]
    with transaction.atomic():
        client.is_active = False
        client.save(update_fields=["is_active"])
        record(
            actor=None,
            action=AuditAction.UPDATE,
            obj=client,
            changes={"is_active": [True, False]},
            message="open311 key revoked",
        )
    return client


class Command(BaseCommand):
    help = (
        "Issue an API key to an app (Open311) or a gateway (webhook), printed once; "
        "--revoke PREFIX deactivates one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="The app or gateway, e.g. 'Ứng dụng Tỉnh'.")
        parser.add_argument(
            "--channel",
            choices=[Channel.OPEN311.value, Channel.WEBHOOK.value],
            default=Channel.OPEN311.value,
        )
        parser.add_argument("--revoke", metavar="PREFIX", help="The key's first 8 characters.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["revoke"]:
            client = revoke(opts["revoke"].strip())
            self.stdout.write(f"Đã thu hồi khoá / revoked the key of {client}")
            return
        name = (opts["name"] or "").strip()
        if not name:
            raise CommandError("Cho biết tên ứng dụng.\nGive the app's name.")
        if len(name) > 120:
            raise CommandError("Tên quá dài (tối đa 120 ký tự).\nThe name is too long (120).")
        client, key = issue(name, opts["channel"])
        self.stdout.write(
            f"Khoá API của / API key of {client.name} ({client.channel}); "
            "chỉ hiện một lần / shown only once:"
        )
        self.stdout.write(key)
