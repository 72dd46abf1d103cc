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
# Editors and approvers translate pages (wagtail-localize's side-by-side editor).
TRANSLATE = {"wagtail_localize.submit_translation"}


def _ensure_portal_after_migrate(app_config: AppConfig, **kwargs: Any) -> None:
    with_models = [a for a in apps.get_app_configs() if a.models_module is not None]
    if not with_models or app_config is not with_models[-1]:
        return
    from ioc.portal.setup import ensure_portal

    ensure_portal()


def _open_new_home_to_board(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    """A home page in another language (made by translating the Vietnamese one) gets the
    same board: its permissions and workflow, or no one but an admin could edit under it."""
    from ioc.portal.models import HomePage

    if created and not kwargs.get("raw") and isinstance(instance, HomePage):
        from ioc.portal.setup import open_to_board

        open_to_board(instance)


class PortalConfig(AppConfig):
    name = "ioc.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        import warnings

        from bs4 import MarkupResemblesLocatorWarning
        from django.db.models.signals import post_migrate, post_save

        from ioc.accounts.choices import Role
        from ioc.accounts.roles import ROLE_PERMISSIONS

        for role in (Role.PORTAL_WRITER, Role.PORTAL_EDITOR, Role.PORTAL_APPROVER):
            ROLE_PERMISSIONS[role] |= BOARD
        ROLE_PERMISSIONS[Role.PORTAL_EDITOR] |= MODERATE | TRANSLATE
        ROLE_PERMISSIONS[Role.PORTAL_APPROVER] |= MODERATE | TRANSLATE
        ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] |= BOARD
        post_migrate.connect(_ensure_portal_after_migrate, dispatch_uid="ioc.portal.ensure")
        post_save.connect(_open_new_home_to_board, dispatch_uid="ioc.portal.new-home")
        # wagtail-localize reads each text as HTML; a link's address ("/feedback/") is text
        # that looks like a URL, which BeautifulSoup warns about for nothing.
        warnings.filterwarnings(
            "ignore", category=MarkupResemblesLocatorWarning, module="wagtail_localize"
        )
        from ioc.portal import publishing, visits  # noqa: F401  (periodic jobs, audit of the CMS)
