from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The shell: home pages, navigation, error pages, health endpoints. It sits on top of
    the domain apps and reads from them; nothing imports it."""

    name = "ioc.web"
    label = "web"
    verbose_name = _("Web shell")
