"""RSS 2.0 and Atom feeds of new and of answered reports, for the whole area or one commune
(``?unit=<code>``): what a newsroom, a commune's website or a feed reader follows. Only what
the public pages show: never a name, a phone number, an e-mail address or the raw text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from ioc.accounts.scope import expand_units
from ioc.core.models import AdministrativeUnit
from ioc.feedback.choices import Status
from ioc.feedback.models import Report

ITEMS = 50


class NewReports(Feed):  # type: ignore[type-arg]
    kind = "new"

    def get_object(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> AdministrativeUnit | None:
        code = request.GET.get("unit", "").strip()
        if not code:
            return None
        unit = AdministrativeUnit.objects.current().in_area().filter(code=code).first()
        if unit is None:
            raise Http404
        return unit

    def title(self, obj: AdministrativeUnit | None) -> str:
        what = _("New citizen reports") if self.kind == "new" else _("Answered citizen reports")
        return f"{what}: {obj.name}" if obj else what

    def description(self, obj: AdministrativeUnit | None) -> str:
        return _("Citizens' reports and the agencies' answers, in the open.")

    def link(self, obj: AdministrativeUnit | None) -> str:
        return reverse("feedback:home")

    def items(self, obj: AdministrativeUnit | None) -> Any:
        reports = Report.objects.public().select_related("category", "agency", "unit")
        if obj is not None:
            reports = reports.filter(unit_id__in=expand_units({obj.pk}))
        if self.kind == "new":
            return reports.order_by("-received_at")[:ITEMS]
        return reports.filter(status__in=(Status.RESOLVED, Status.CLOSED)).order_by("-closed_at")[
            :ITEMS
        ]

    def item_title(self, item: Report) -> str:
        where = f" ({item.unit.name})" if item.unit_id and item.unit else ""
        return f"#{item.pk} {item.category.label}{where}"

    def item_description(self, item: Report) -> str:
        if self.kind == "resolved":
            return f"{item.public_text}\n\n{_('Answer')}: {item.answer}"
        return item.public_text

    def item_link(self, item: Report) -> str:
        return reverse("feedback:public", args=[item.pk])

    def item_pubdate(self, item: Report) -> dt.datetime:
        return item.received_at if self.kind == "new" else (item.closed_at or item.updated_at)

    def item_updateddate(self, item: Report) -> dt.datetime:
        return item.updated_at

    def item_categories(self, item: Report) -> list[str]:
        return [item.category.label]


class ResolvedReports(NewReports):
    kind = "resolved"


class NewReportsAtom(NewReports):
    feed_type = Atom1Feed
    subtitle = NewReports.description


class ResolvedReportsAtom(ResolvedReports):
    feed_type = Atom1Feed
    subtitle = ResolvedReports.description
