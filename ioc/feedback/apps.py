from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

VIEW = {"feedback.view_report", "feedback.view_category"}
HANDLE = VIEW | {"feedback.change_report"}


class FeedbackConfig(AppConfig):
    name = "ioc.feedback"
    label = "feedback"
    verbose_name = _("Citizen reports")

    def ready(self) -> None:
        from ioc.accounts.choices import Role
        from ioc.accounts.roles import ROLE_PERMISSIONS
        from ioc.operations.choices import CATEGORY_LABELS

        # Handlers answer the reports of their scope; operators take the hotline's calls and
        # re-route; leaders read. Administrators keep the categories and the API keys.
        ROLE_PERMISSIONS[Role.FEEDBACK_HANDLER] |= HANDLE
        ROLE_PERMISSIONS[Role.OPERATOR] |= HANDLE | {"feedback.add_report"}
        ROLE_PERMISSIONS[Role.LEADER] |= VIEW
        ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] |= {"feedback.*"}
        CATEGORY_LABELS.setdefault("overdue-report", _("Overdue citizen report"))
        from ioc.feedback import jobs, stats  # noqa: F401  (register the periodic jobs)
