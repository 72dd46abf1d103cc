from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = {"dashboards.view_dashboard", "dashboards.view_chart"}
BUILD = VIEW | {
    "dashboards.add_dashboard",
    "dashboards.change_dashboard",
    "dashboards.add_chart",
    "dashboards.change_chart",
    "dashboards.delete_chart",
}


class DashboardsConfig(AppConfig):
    name = "ioc.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self) -> None:
        from ioc.accounts.choices import Role
        from ioc.accounts.roles import ROLE_PERMISSIONS
        from ioc.dashboards import receivers  # noqa: F401  (connects the signal receivers)

        # Everyone who watches the province reads dashboards; sector officers build their
        # sector's charts (DESIGN: "builds charts"); engineers and admins manage them all.
        for role in (Role.LEADER, Role.OPERATOR):
            ROLE_PERMISSIONS[role] |= VIEW
        ROLE_PERMISSIONS[Role.LEADER] |= {"dashboards.view_usage"}  # is the centre used?
        ROLE_PERMISSIONS[Role.SECTOR_OFFICER] |= BUILD
        for role in (Role.DATA_ENGINEER, Role.SYSTEM_ADMIN):
            ROLE_PERMISSIONS[role] |= {"dashboards.*"}
