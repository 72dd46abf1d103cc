"""Questions and comments from citizens: sent, moderated, published without personal data;
the organisation chart and events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ioc.core.models import AuditEntry
from ioc.portal.choices import CommentStatus, Organ, QuestionStatus
from ioc.portal.models import (
    ConsultationPage,
    DraftComment,
    EventPage,
    LeaderPage,
    OrganisationPage,
    Question,
    QuestionIndexPage,
    SectionPage,
    StandardPage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def ask(client: Client, qa: QuestionIndexPage, **fields: str) -> Any:
    data = {"name": "Chị Lan", "email": "lan@example.com", "topic": "Đất đai", "website": ""}
    data["text"] = "Thủ tục tách thửa đất cần những giấy tờ gì?"
    data.update(fields)
    return client.post(qa.url + "ask/", data, REMOTE_ADDR="203.0.113.7")


def test_a_question_is_kept_private_until_the_board_publishes_its_answer(
    home: Any, board: dict[str, Any]
) -> None:
    qa = QuestionIndexPage.objects.get()
    client = Client()
    form = client.get(qa.url + "ask/")
    assert form.status_code == 200 and "csrfmiddlewaretoken" in form.content.decode()
    assert "X-Portal-Cache" not in client.get(qa.url + "ask/")  # a form is never kept
    response = ask(client, qa, text="<script>alert(1)</script> Giờ làm việc của bộ phận một cửa?")
    assert response.status_code == 302 and response["Location"] == qa.url
    question = Question.objects.get()
    assert question.status == QuestionStatus.NEW and question.ip == "203.0.113.7"
    assert question.due_at > timezone.now() + dt.timedelta(days=9)  # 10 working days
    assert "Giờ làm việc" not in Client().get(qa.url).content.decode()

    editor = Client()
    editor.force_login(board["editor"])
    edit = f"/cms/snippets/portal/question/edit/{question.pk}/"
    refused = editor.post(edit, {"topic": "Hành chính", "answer": "", "status": "published"})
    assert refused.status_code == 200 and not Question.objects.filter(status="published").exists()
    answer = "Từ 7 giờ 30 đến 17 giờ các ngày làm việc."
    done = editor.post(edit, {"topic": "Hành chính", "answer": answer, "status": "published"})
    assert done.status_code == 302
    question.refresh_from_db()
    assert question.answered_by == board["editor"] and question.answered_at is not None
    assert question.text.startswith("<script>")  # kept as sent, never rendered as HTML
    page = Client().get(qa.url).content.decode()
    assert answer in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and "lan@example.com" not in page
    assert AuditEntry.objects.filter(
        object_type="portal.question", object_id=str(question.pk), actor=board["editor"]
    ).exists()


def test_only_editors_and_approvers_see_the_questions(home: Any, board: dict[str, Any]) -> None:
    listing = "/cms/snippets/portal/question/"
    for role, allowed in (("writer", False), ("editor", True), ("approver", True)):
        client = Client()
        client.force_login(board[role])
        assert (client.get(listing).status_code == 200) is allowed, role
    client = Client()
    client.force_login(board["editor"])
    assert client.get("/cms/snippets/portal/question/add/").status_code in {302, 403}


def test_bad_or_repeated_questions_are_refused_with_a_reason(home: Any) -> None:
    qa = QuestionIndexPage.objects.get()
    client = Client()
    html = ask(client, qa, email="khong-phai-email", text="ngắn").content.decode()
    assert html.count('class="errorlist"') == 2 and not Question.objects.exists()
    ask(client, qa, website="http://spam.example/")  # the trap field a program fills
    assert not Question.objects.exists()
    for _ in range(5):
        assert ask(client, qa).status_code == 302
    sixth = ask(client, qa).content.decode()
    assert Question.objects.count() == 5 and "msg-error" in sixth


def test_comments_on_a_draft_while_it_is_open(home: Any, board: dict[str, Any]) -> None:
    drafts = StandardPage.objects.get(slug="lay-y-kien-du-thao")
    today = timezone.localdate()
    draft = ConsultationPage(
        title="Dự thảo quy chế",
        drafted_by="Văn phòng Tỉnh ủy",
        summary="Tóm tắt dự thảo.",
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=10),
    )
    drafts.add_child(instance=draft)
    client = Client()
    response = client.post(
        draft.url + "comment/",
        {
            "name": "Anh Hòa",
            "email": "hoa@example.com",
            "organisation": "",
            "text": "Đề nghị bổ sung điều 5.",
        },
    )
    assert response.status_code == 302
    comment = DraftComment.objects.get()
    assert comment.status == CommentStatus.PENDING
    assert "bổ sung điều 5" not in Client().get(draft.url).content.decode()

    editor = Client()
    editor.force_login(board["editor"])
    edit = f"/cms/snippets/portal/draftcomment/edit/{comment.pk}/"
    assert editor.post(edit, {"status": "rejected", "reason": ""}).status_code == 200  # why?
    assert editor.post(edit, {"status": "approved", "reason": ""}).status_code == 302
    comment.refresh_from_db()
    assert comment.moderated_by == board["editor"]
    page = Client().get(draft.url).content.decode()
    assert "bổ sung điều 5" in page and "hoa@example.com" not in page

    ConsultationPage.objects.filter(pk=draft.pk).update(closes_on=today - dt.timedelta(days=1))
    cache.clear()
    late = Client().post(
        draft.url + "comment/",
        {"name": "Muộn", "email": "m@example.com", "text": "Góp ý sau hạn chót."},
    )
    assert late.status_code == 302 and DraftComment.objects.count() == 1


def test_the_organisation_chart_groups_leaders_by_body(home: Any, client: Client) -> None:
    chart = OrganisationPage.objects.get()
    for name, position, organ in (
        ("Nguyễn Văn A", "Chủ tịch HĐND tỉnh", Organ.COUNCIL),
        ("Trần Văn B", "Bí thư Tỉnh ủy", Organ.STANDING),
    ):
        chart.add_child(instance=LeaderPage(title=name, position=position, organ=organ))
    html = client.get(chart.url).content.decode()
    assert html.index("Trần Văn B") < html.index("Nguyễn Văn A")  # the standing committee first
    assert client.get(LeaderPage.objects.get(title="Trần Văn B").url).status_code == 200


def test_coming_events_are_on_the_home_page(home: Any, client: Client) -> None:
    events = SectionPage.objects.get(slug="su-kien")
    now = timezone.now()
    for title, days in (("Sự kiện đã qua", -3), ("Hội nghị sắp tới", 2)):
        events.add_child(
            instance=EventPage(
                title=title,
                starts_at=now + dt.timedelta(days=days),
                place="Hội trường",
                summary="…",
            )
        )
    html = client.get("/").content.decode()
    assert "Hội nghị sắp tới" in html and "Sự kiện đã qua" not in html


def test_the_answer_is_emailed_to_the_asker_once(
    home: Any, board: dict[str, Any], django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from ioc.portal.answers import send_answer

    qa = QuestionIndexPage.objects.get()
    ask(Client(), qa)
    question = Question.objects.get()
    editor = Client()
    editor.force_login(board["editor"])
    edit = f"/cms/snippets/portal/question/edit/{question.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            edit,
            {"topic": "Đất đai", "answer": "Nộp hồ sơ tại bộ phận một cửa.", "status": "answered"},
        )
    queued = DBTaskResult.objects.get(task_path="ioc.portal.answers.send_answer")
    assert queued.args_kwargs["args"] == [question.pk]
    assert send_answer.call(question.pk) is True  # what the worker runs
    (message,) = mailoutbox
    assert message.to == ["lan@example.com"]
    assert "Nộp hồ sơ tại bộ phận một cửa." in message.body and "Chị Lan" in message.body
    assert qa.url not in message.body  # answered privately: no link to the published answers
    assert send_answer.call(question.pk) is False and len(mailoutbox) == 1  # once
