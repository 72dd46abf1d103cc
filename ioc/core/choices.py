from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    DISTRICT = 2, _("District")
    COMMUNE = 3, _("Commune")


class BoundaryOrigin(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    DERIVED = "derived", _("Derived from children or history")
    DEMO = "demo", _("Demo geometry (not real boundaries)")


class TransitionKind(models.TextChoices):
    MERGE = "merge", _("Merge")
    SPLIT = "split", _("Split")
    RENAME = "rename", _("Rename")
    ABOLISH = "abolish", _("Level abolished")


class AgencyKind(models.TextChoices):
    PARTY = "party", _("Party committee")
    PEOPLES_COMMITTEE = "committee", _("People's committee")
    DEPARTMENT = "department", _("Department")
    OFFICE = "office", _("Office")
    COMMUNE_COMMITTEE = "commune", _("Commune people's committee")
    PUBLIC_SERVICE = "service", _("Public service unit")
    POLICE = "police", _("Police")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    READ = "read", _("Viewed sensitive data")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logged out")
    DENIED = "denied", _("Access denied")
    ACTION = "action", _("Action")
