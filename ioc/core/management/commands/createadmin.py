import getpass
import sys
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ioc.accounts.choices import Role
from ioc.accounts.roles import ensure_roles
from ioc.core.audit import record


class Command(BaseCommand):
    help = "Create a system administrator (superuser with the system_admin role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input (for scripts).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from ioc.accounts.models import User

        username = opts["username"].strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"Tên đăng nhập {username!r} đã tồn tại.\nUser name {username!r} is taken."
            )
        if opts["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Mật khẩu / password: ")
            if password != getpass.getpass("Nhập lại / again: "):
                raise CommandError("Hai mật khẩu không khớp.\nThe passwords do not match.")
        candidate = User(username=username, email=opts["email"])
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError(
                "Mật khẩu chưa đủ mạnh / the password is too weak:\n  " + "\n  ".join(exc.messages)
            ) from None
        with transaction.atomic():
            ensure_roles()
            user = User.objects.create_superuser(
                username=username, email=opts["email"], password=password, scope_all=True
            )
            user.groups.add(Group.objects.get(name=Role.SYSTEM_ADMIN.value))
            record(actor=None, action="create", obj=user, message="ioc createadmin")
        self.stdout.write(f"Đã tạo quản trị hệ thống / created system administrator {username}")
