"""Choosers in the CMS for what the portal borrows from the IOC: public charts and public
dashboards, picked in an article's body (``blocks.PublicChartBlock``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.chooser import ChooserViewSet

from ioc.dashboards.access import public_charts, public_dashboards
from ioc.dashboards.models import Chart, Dashboard


class PublicChartChooser(ChooserViewSet):
    model = Chart
    icon = "table"
    choose_one_text = _("Choose a public chart")
    choose_another_text = _("Choose another chart")
    per_page = 30

    def get_object_list(self) -> Any:
        return public_charts().order_by("dashboard__order", "dashboard__slug", "y", "x")


class PublicDashboardChooser(ChooserViewSet):
    model = Dashboard
    icon = "table"
    choose_one_text = _("Choose a public dashboard")
    choose_another_text = _("Choose another dashboard")
    per_page = 30

    def get_object_list(self) -> Any:
        return public_dashboards().order_by("order", "slug")


chart_chooser = PublicChartChooser("public_chart_chooser", url_prefix="public-charts")
dashboard_chooser = PublicDashboardChooser(
    "public_dashboard_chooser", url_prefix="public-dashboards"
)
