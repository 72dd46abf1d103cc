"""Roles are groups, created by migrate, with the permissions of ROLE_PERMISSIONS."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from ioc.accounts.choices import Role


def test_migrate_created_every_role(db: Any) -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.parametrize(
    ("role", "perm", "granted"),
    [
        (Role.SECTOR_OFFICER, "core.change_agency", True),
        (Role.SECTOR_OFFICER, "operations.change_event", True),
        (Role.SECTOR_OFFICER, "core.add_agency", False),
        (Role.LEADER, "core.change_agency", False),
        (Role.SYSTEM_ADMIN, "accounts.change_user", True),
        (Role.SYSTEM_ADMIN, "core.view_auditentry", True),
        (Role.OPERATOR, "core.view_auditentry", False),
        # authenticators: list and delete (lost phone), never add or change (keys)
        (Role.SYSTEM_ADMIN, "otp_totp.view_totpdevice", True),
        (Role.SYSTEM_ADMIN, "otp_totp.delete_totpdevice", True),
        (Role.SYSTEM_ADMIN, "otp_totp.add_totpdevice", False),
        (Role.SYSTEM_ADMIN, "otp_totp.change_totpdevice", False),
    ],
    ids=lambda v: str(v),
)
def test_role_permissions(make_user: Any, role: Role, perm: str, granted: bool) -> None:
    assert make_user("u", roles=[role]).has_perm(perm) is granted
