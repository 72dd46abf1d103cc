"""Roles are Django groups named by their code, with the model permissions below.

`ensure_roles()` creates or updates the groups (run by `ioc migrate` and `ioc demo`).
Later apps add their permissions to ROLE_PERMISSIONS in their own AppConfig.ready().
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from ioc.accounts.choices import Role

# "app_label.codename" or "app_label.*" (every permission of the app).
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.SYSTEM_ADMIN: {
        "core.*",
        "accounts.*",
        "operations.*",
        "jobs.*",
        "warehouse.*",
        "integrations.*",
        "auth.view_group",
        # Authenticators: see who has one, delete a lost phone's (never add, change, read keys).
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.*",
    },
    Role.LEADER: {
        "core.view_administrativeunit",
        "core.view_agency",
        "core.view_sector",
        "operations.view_event",
        "warehouse.view_dataset",
        "warehouse.view_indicator",
    },
    Role.OPERATOR: {
        "core.view_administrativeunit",
        "core.view_agency",
        "core.view_sector",
        "operations.view_event",
        "operations.change_event",
        "warehouse.view_dataset",
        "warehouse.view_indicator",
        "integrations.view_connection",
        "integrations.view_syncrun",
    },
    # Sector officers keep their sector's agencies' details and annotate its events.
    Role.SECTOR_OFFICER: {
        "core.view_administrativeunit",
        "core.view_agency",
        "core.view_sector",
        "core.change_agency",
        "operations.view_event",
        "operations.change_event",
        # Their sector's data: the catalogue, fixing rejected rows, monthly figures by hand.
        "warehouse.view_dataset",
        "warehouse.change_dataset",
        "warehouse.view_indicator",
        "warehouse.add_indicator",
        "warehouse.change_indicator",
        "integrations.view_connection",
        "integrations.change_connection",
        "integrations.view_syncrun",
        "integrations.add_syncrun",
    },
    Role.DATA_ENGINEER: {
        "core.view_administrativeunit",
        "core.view_agency",
        "core.view_sector",
        "operations.view_event",
        "jobs.view_jobrun",
        "warehouse.*",
        "integrations.*",
    },
    Role.FEEDBACK_HANDLER: {
        "core.view_administrativeunit",
        "core.view_agency",
        "operations.view_event",
    },
    Role.PORTAL_WRITER: set(),
    Role.PORTAL_EDITOR: set(),
    Role.PORTAL_APPROVER: set(),
}


def _permissions(specs: set[str]) -> list[Permission]:
    query = Q(pk__in=[])
    for spec in specs:
        app_label, codename = spec.split(".", 1)
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


def ensure_roles() -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(_permissions(ROLE_PERMISSIONS.get(role, set())))
        groups[role.value] = group
    return groups
