from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = {"cameras.view_camera", "cameras.view_cameragroup"}


class CamerasConfig(AppConfig):
    name = "ioc.cameras"
    label = "cameras"
    verbose_name = _("Cameras")

    def ready(self) -> None:
        from ioc.accounts.choices import Role
        from ioc.accounts.roles import ROLE_PERMISSIONS
        from ioc.operations.choices import CATEGORY_LABELS

        # Operators watch the cameras on the wall; leaders look in; administrators keep the
        # registry. Which cameras each one sees is the groups' roles and the user's scope.
        ROLE_PERMISSIONS[Role.OPERATOR] |= VIEW
        ROLE_PERMISSIONS[Role.LEADER] |= VIEW
        ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] |= {"cameras.*"}
        CATEGORY_LABELS.setdefault("camera-offline", _("Camera offline"))
        CATEGORY_LABELS.setdefault("camera-activity", _("Unusual activity at a camera"))
        from ioc.cameras import analytics, health, watching  # noqa: F401  (periodic jobs)
