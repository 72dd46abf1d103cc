from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = {"maps.view_savedmap"}
EDIT = VIEW | {"maps.add_savedmap", "maps.change_savedmap", "maps.delete_savedmap"}


class MapsConfig(AppConfig):
    name = "ioc.maps"
    label = "maps"
    verbose_name = _("Digital map")

    def ready(self) -> None:
        from ioc.accounts.choices import Role
        from ioc.accounts.roles import ROLE_PERMISSIONS

        # Whoever watches the province reads the map; whoever builds charts saves maps.
        for role in (Role.LEADER, Role.OPERATOR):
            ROLE_PERMISSIONS[role] |= VIEW
        ROLE_PERMISSIONS[Role.SECTOR_OFFICER] |= EDIT
        for role in (Role.DATA_ENGINEER, Role.SYSTEM_ADMIN):
            ROLE_PERMISSIONS[role] |= {"maps.*"}
