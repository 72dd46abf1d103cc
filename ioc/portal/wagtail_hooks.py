"""The board's work on what citizens send, in the CMS: Q&A and comments on drafts.

Editors and approvers answer questions (the answer is published on the Q&A page, or sent
privately) and moderate comments; nobody adds or deletes one here, so every question and
comment is kept with what was decided about it. Who decided and when is stored on it and
in the audit log.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, SnippetViewSet, SnippetViewSetGroup

from ioc.portal import answers
from ioc.portal.choices import CommentStatus, QuestionStatus
from ioc.portal.models import DraftComment, Question


class AnswerView(EditView):
    def save_instance(self) -> Any:
        question = self.form.instance
        if question.status in {QuestionStatus.PUBLISHED, QuestionStatus.ANSWERED}:
            if question.answered_at is None:
                question.answered_at = timezone.now()
            question.answered_by = self.request.user
        saved = super().save_instance()
        answers.answer_saved(saved)
        return saved


class ModerateView(EditView):
    def save_instance(self) -> Any:
        comment = self.form.instance
        if comment.status != CommentStatus.PENDING:
            comment.moderated_by = self.request.user
            comment.moderated_at = timezone.now()
        return super().save_instance()


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("Questions")
    edit_view_class = AnswerView
    list_display = ["__str__", "page", "status", "due_at", "created_at"]
    list_filter = ["status", "page"]
    search_fields = ["text", "topic", "name"]
    ordering = ["status", "due_at"]
    list_per_page = 50


class CommentViewSet(SnippetViewSet):
    model = DraftComment
    icon = "comment"
    menu_label = _("Comments on drafts")
    edit_view_class = ModerateView
    list_display = ["__str__", "page", "organisation", "status", "created_at"]
    list_filter = ["status", "page"]
    search_fields = ["text", "name", "organisation"]
    list_per_page = 50


class CitizensViewSetGroup(SnippetViewSetGroup):
    items = (QuestionViewSet, CommentViewSet)
    menu_icon = "group"
    menu_label = _("From citizens")
    menu_name = "citizens"


register_snippet(CitizensViewSetGroup)


@hooks.register("register_admin_urls")
def _visit_urls() -> list[Any]:
    return [path("reports/page-views/", page_views, name="portal_page_views")]


@hooks.register("register_reports_menu_item")
def _visit_menu() -> MenuItem:
    return MenuItem(_("Page views"), reverse("portal_page_views"), icon_name="view", order=900)


def page_views(request: HttpRequest) -> HttpResponse:
    """The board's view of the portal's reach: the last 30 days by day, section and page."""
    if not request.user.has_perm("wagtailadmin.access_admin"):
        raise PermissionDenied
    from ioc.portal import visits

    figures = visits.totals(30)
    peak = max((row["views"] for row in figures["by_day"]), default=0) or 1
    top = max((views for _page, views in figures["by_page"]), default=0) or 1
    return TemplateResponse(
        request,
        "portal/admin/page_views.html",
        {"figures": figures, "peak": peak, "top": top, "header_title": _("Page views")},
    )


@hooks.register("register_admin_viewset")
def _public_charts() -> list[Any]:
    from ioc.portal.choosers import chart_chooser, dashboard_chooser

    return [chart_chooser, dashboard_chooser]
