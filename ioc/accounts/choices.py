from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    LEADER = "leader", _("Leader")
    OPERATOR = "operator", _("IOC operator")
    SECTOR_OFFICER = "sector_officer", _("Sector officer")
    DATA_ENGINEER = "data_engineer", _("Data engineer")
    FEEDBACK_HANDLER = "feedback_handler", _("Feedback handler")
    PORTAL_WRITER = "portal_writer", _("Portal writer")
    PORTAL_EDITOR = "portal_editor", _("Portal editor")
    PORTAL_APPROVER = "portal_approver", _("Portal approver")


class AccountKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CITIZEN = "citizen", _("Citizen")


# Roles whose work is province-wide by nature: their scope defaults to the whole area.
AREA_WIDE_ROLES = {Role.SYSTEM_ADMIN, Role.LEADER, Role.OPERATOR}
