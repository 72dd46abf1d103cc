from typing import Any

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


def _ensure_roles_after_migrate(app_config: AppConfig, **kwargs: Any) -> None:
    # post_migrate is sent once per app with models, in order; every app's permissions exist
    # by the last one's.
    with_models = [a for a in apps.get_app_configs() if a.models_module is not None]
    if not with_models or app_config is not with_models[-1]:
        return
    from ioc.accounts.roles import ensure_roles

    ensure_roles()


class AccountsConfig(AppConfig):
    name = "ioc.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from ioc.accounts import signals  # noqa: F401  (audit of logins: infrastructure)

        post_migrate.connect(_ensure_roles_after_migrate, dispatch_uid="ioc.accounts.roles")
