"""The editorial board: writer → editor → approver, scheduled publishing, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import feedparser
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from wagtail.models import Page, TaskState, WorkflowState
from wagtail.rich_text import RichText

from ioc.core.models import AuditEntry
from ioc.jobs.periodic import REGISTRY
from ioc.portal.models import ArticlePage
from ioc.portal.publishing import publish_scheduled

pytestmark = pytest.mark.django_db


def _draft(section: Any, writer: Any, title: str) -> ArticlePage:
    article = ArticlePage(
        title=title,
        summary="Tóm tắt",
        body=[("paragraph", RichText("<p>Bản thảo.</p>"))],
        live=False,
        owner=writer,
    )
    section.add_child(instance=article)
    article.save_revision(user=writer)
    return article


def _act(state: WorkflowState, user: Any, action: str, comment: str = "") -> None:
    task_state = state.current_task_state
    task = task_state.task.specific
    if action not in {name for name, _label, _form in task.get_actions(state.content_object, user)}:
        raise PermissionDenied(f"{user} may not {action} at {task}")
    task.on_action(task_state, user, action, comment=comment)
    state.refresh_from_db()


def test_roles_can_do_what_the_board_allows(board: dict[str, Any], section: Any) -> None:
    mine = _draft(section, board["writer"], "Bài của phóng viên")
    theirs = _draft(section, board["editor"], "Bài của biên tập viên")
    writer, editor, approver = board["writer"], board["editor"], board["approver"]
    assert mine.permissions_for_user(writer).can_edit()
    assert not theirs.permissions_for_user(writer).can_edit()  # writers edit their own drafts
    assert not mine.permissions_for_user(writer).can_publish()
    assert theirs.permissions_for_user(editor).can_edit()
    assert not theirs.permissions_for_user(editor).can_publish()
    assert theirs.permissions_for_user(approver).can_publish()
    client = Client()
    client.force_login(writer)
    assert client.get("/cms/").status_code == 200  # the CMS opens for the board
    client.force_login(board["writer"].__class__.objects.create_user("khach", password="x" * 12))
    assert client.get("/cms/").status_code in {302, 403}


def test_a_story_goes_through_editor_and_board_then_out_on_schedule(
    board: dict[str, Any], section: Any, client: Client
) -> None:
    writer, editor, approver = board["writer"], board["editor"], board["approver"]
    article = _draft(section, writer, "Khánh thành cầu mới")
    state = article.get_workflow().start(article, writer)
    assert state.current_task_state.task.name == "Biên tập viên duyệt"
    with pytest.raises(PermissionDenied):  # the board does not review before the editor
        _act(state, writer, "approve")

    _act(state, editor, "reject", comment="Thiếu nguồn tin, bổ sung giúp.")
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    rejected = TaskState.objects.filter(
        workflow_state=state, status=TaskState.STATUS_REJECTED
    ).get()
    assert rejected.get_comment() == "Thiếu nguồn tin, bổ sung giúp."

    article.refresh_from_db()
    article.source = "Báo cáo của Sở Giao thông"
    article.go_live_at = timezone.now() + dt.timedelta(hours=2)
    article.save_revision(user=writer)
    state.resume(user=writer)
    _act(state, editor, "approve")
    assert state.current_task_state.task.name == "Ban Biên tập phê duyệt"
    with pytest.raises(PermissionDenied):
        _act(state, editor, "approve")  # an editor is not the board
    _act(state, approver, "approve", comment="Đồng ý đăng.")
    assert state.status == WorkflowState.STATUS_APPROVED

    article.refresh_from_db()
    assert not article.live  # approved, waiting for its time
    assert "Khánh thành cầu mới" not in client.get("/").content.decode()
    assert "portal.publish" in REGISTRY  # on the platform's scheduler
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        assert publish_scheduled(timezone.now()) == {"published": 1, "expired": 0}
    article.refresh_from_db()
    assert article.live and article.source == "Báo cáo của Sở Giao thông"
    assert "Khánh thành cầu mới" in client.get("/").content.decode()
    feed = feedparser.parse(client.get("/feeds/rss.xml").content)
    assert [e.title for e in feed.entries] == ["Khánh thành cầu mới"]

    actions = list(
        AuditEntry.objects.filter(object_type="portal.page", object_id=str(article.pk))
        .order_by("pk")
        .values_list("message", "actor_name")
    )
    assert ("wagtail.workflow.start", "phongvien") in actions
    assert ("wagtail.workflow.reject", "bientap") in actions
    assert ("wagtail.workflow.approve", "duyet") in actions
    assert ("wagtail.publish.schedule", "duyet") in actions  # who approved the time
    assert ("wagtail.publish.scheduled", "") in actions  # the scheduler, when it came


def test_a_page_past_its_expiry_comes_down(make_article: Any) -> None:
    article = make_article("Thông báo có thời hạn")
    Page.objects.filter(pk=article.pk).update(expire_at=timezone.now() - dt.timedelta(minutes=1))
    assert publish_scheduled(timezone.now()) == {"published": 0, "expired": 1}
    article.refresh_from_db()
    assert not article.live and article.expired
