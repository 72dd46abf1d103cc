from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "ioc.core"
    label = "core"
    verbose_name = _("Units, agencies and audit")
