from typing import Any

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# What every member of the editorial board needs: the CMS itself.
BOARD = {"wagtailadmin.access_admin"}
# Editors and approvers answer questions and moderate comments (never add or delete one).
MODERATE = {
    "portal.view_question",
    "portal.change_question",
    "portal.view_draftcomment",
    "portal.change_draftcomment",
}


def _ensure_portal_after_migrate(app_config: AppConfig, **kwargs: Any) -> None:
    with_models = [a for a in apps.get_app_configs() if a.models_module is not None]
    if not with_models or app_config is not with_models[-1]:
        return
    from ioc.portal.setup import ensure_portal

    ensure_portal()


class PortalConfig(AppConfig):
    name = "ioc.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from ioc.accounts.choices import Role
        from ioc.accounts.roles import ROLE_PERMISSIONS

        for role in (Role.PORTAL_WRITER, Role.PORTAL_EDITOR, Role.PORTAL_APPROVER):
            ROLE_PERMISSIONS[role] |= BOARD
        ROLE_PERMISSIONS[Role.PORTAL_EDITOR] |= MODERATE
        ROLE_PERMISSIONS[Role.PORTAL_APPROVER] |= MODERATE
        ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] |= BOARD
        post_migrate.connect(_ensure_portal_after_migrate, dispatch_uid="ioc.portal.ensure")
        from ioc.portal import publishing, visits  # noqa: F401  (periodic jobs, audit of the CMS)
