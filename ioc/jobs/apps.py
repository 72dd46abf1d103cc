from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "ioc.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        from ioc.jobs import maintenance  # noqa: F401  (registers the statistics job)
