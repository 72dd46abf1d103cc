from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from wagtail.rich_text import RichText

from ioc.accounts.choices import Role


@pytest.fixture
def home(db: Any) -> Any:
    """The portal's skeleton, as `ioc migrate` leaves it (a flushed database rebuilds it)."""
    from ioc.portal.setup import ensure_portal

    return ensure_portal()


@pytest.fixture
def section(home: Any) -> Any:
    from ioc.portal.models import SectionPage

    return SectionPage.objects.get(slug="chinh-tri")


@pytest.fixture
def make_article(section: Any) -> Callable[..., Any]:
    from ioc.portal.models import ArticlePage

    def make(
        title: str, *, parent: Any = None, live: bool = True, days_ago: float = 0, **fields: Any
    ) -> Any:
        when = timezone.now() - dt.timedelta(days=days_ago)
        fields.setdefault("summary", f"Tóm tắt: {title}")
        fields.setdefault("body", [("paragraph", RichText("<p>Nội dung bài viết.</p>"))])
        article = ArticlePage(title=title, date=when, live=live, **fields)
        if live:
            article.first_published_at = when
        (parent or section).add_child(instance=article)
        return article

    return make


@pytest.fixture
def run_tasks(db: Any) -> Callable[[], None]:
    """Work the task queue once, as `ioc worker` does: Wagtail indexes pages for the search in
    a background task after each save."""
    from django.core.management import call_command

    def run() -> None:
        call_command("worker", "--once", "--no-scheduler", stdout=io.StringIO())

    return run


@pytest.fixture
def board(make_user: Callable[..., Any], home: Any) -> dict[str, Any]:
    """One member of the editorial board per role."""
    return {
        "writer": make_user("phongvien", roles=[Role.PORTAL_WRITER], is_staff=False),
        "editor": make_user("bientap", roles=[Role.PORTAL_EDITOR]),
        "approver": make_user("duyet", roles=[Role.PORTAL_APPROVER]),
    }
