"""The portal in a real browser: the public pages pass an automated accessibility check
(axe-core, WCAG 2.1 A and AA), and the editorial board's workflow runs in the CMS."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import feedparser
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from ioc.core.models import AuditEntry
from ioc.dashboards.access import public_charts
from ioc.demo.accounts import DEMO_USERS
from ioc.portal.models import ArticlePage, OfficialDocumentPage, QuestionIndexPage, SectionPage
from ioc.portal.publishing import publish_scheduled
from ioc.tests.test_browser import _chromium, browser, log_in, page, province  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(settings.BASE_DIR) / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(tab: Any) -> list[dict[str, Any]]:
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
    ]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_public_pages_pass_the_accessibility_check(
    page: Any,  # noqa: F811
    phone: bool,
) -> None:
    if phone:
        page.set_viewport_size({"width": 390, "height": 844})
    article = ArticlePage.objects.live().order_by("-date").first()
    document = OfficialDocumentPage.objects.live().first()
    assert article is not None and document is not None
    figures = public_charts().filter(dashboard__slug="moi-truong", kind="line").first()
    assert figures is not None
    addresses = [
        "/",
        article.url,
        "/van-ban/",
        "/van-ban/?doc_type=nghi-quyet&signed_from=2020-01-01",
        document.url,
        "/search/?q=nghi+quyet",
        "/hoi-dap/",
        "/hoi-dap/ask/",
        "/gioi-thieu/co-cau-to-chuc/",
        "/en/",
        "/en/introduction/",
        "/dashboards/",
        "/dashboards/moi-truong/",
        f"/dashboards/charts/{figures.pk}/embed/",
    ]
    found = {}
    for address in addresses:
        page.goto(address)
        problems = violations(page)
        if problems:
            found[address] = problems
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_an_article_shows_the_public_figures_live(page: Any) -> None:  # noqa: F811
    """The demo's article on public figures: its frames draw the IOC's charts for anyone."""
    article = ArticlePage.objects.get(slug="cong-khai-so-lieu")
    page.goto(article.url)
    frames = page.locator("iframe")
    assert frames.count() == 5  # one chart, and four of the traffic dashboard
    frames.first.scroll_into_view_if_needed()
    inner = page.frame_locator("iframe").first
    inner.locator(".tile[data-drawn='1'] [data-body] svg").first.wait_for()
    assert inner.locator(".tile-failed").count() == 0
    assert "Bụi PM2.5" in inner.locator(".tile-title").inner_text()


def test_the_check_finds_what_it_should(page: Any) -> None:  # noqa: F811
    """The checker itself: a page with a picture without alt text and no language fails."""
    page.set_content("<html><body><img src='data:,'><a href='#'></a></body></html>")
    assert {"image-alt", "html-has-lang", "link-name"} <= {v["id"] for v in violations(page)}


def _signed_in(chromium: Any, live_server: Any, username: str) -> Any:
    user = next(u for u in DEMO_USERS if u.username == username)
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    log_in(tab, live_server, user)
    return tab


def _action(tab: Any, label: str) -> None:
    """A workflow action from the editor's footer menu ("Request changes", "Phê chuẩn")."""
    tab.click("footer [data-w-dropdown-target=toggle]")
    tab.click(f"footer button:has-text('{label}')")


def test_a_story_goes_from_writer_to_editor_to_the_board_and_out_on_schedule(
    browser: Any,  # noqa: F811
    live_server: Any,
    province: Any,  # noqa: F811
    page: Any,  # noqa: F811  (a reader)
) -> None:
    section = SectionPage.objects.get(slug="kinh-te")
    title = "Khánh thành cầu Phú Cường nối hai phường"

    writer = _signed_in(browser, live_server, "phongvien")
    writer.goto(f"/cms/pages/add/portal/articlepage/{section.pk}/")
    writer.fill("#id_title", title)
    writer.fill("#id_summary", "Cây cầu mới rút ngắn đường đi giữa hai phường.")
    writer.click(".c-sf-add-button >> nth=0")
    writer.click("[role=option]:has-text('Văn bản')")
    body = writer.locator("[contenteditable=true]").first
    body.click()
    body.press_sequentially("Sáng nay, cây cầu mới chính thức thông xe.")
    writer.wait_for_function(  # the editor has handed its text to the form
        "document.querySelector(\"input[name='body-0-value']\").value.includes('thông xe')"
    )
    writer.click("footer [data-w-dropdown-target=toggle]")
    writer.click("footer button[name=action-submit]")
    writer.wait_for_selector(".messages .success")
    article = ArticlePage.objects.get(title=title)
    assert not article.live and article.owner.username == "phongvien"

    editor = _signed_in(browser, live_server, "bientap")
    editor.goto(f"/cms/pages/{article.pk}/edit/")
    _action(editor, "Request changes")
    editor.fill(".modal #id_comment", "Thiếu nguồn tin, bổ sung giúp.")
    editor.click(".modal button[type=submit]")
    editor.wait_for_selector(".messages .success")

    writer.goto(f"/cms/pages/{article.pk}/workflow_history/")
    writer.click("a[href*='workflow_history/detail'] >> nth=0")
    writer.wait_for_selector("text=Thiếu nguồn tin, bổ sung giúp.")  # the editor's comment
    writer.goto(f"/cms/pages/{article.pk}/edit/")
    writer.fill("#id_source", "Sở Giao thông Vận tải")
    writer.click("footer [data-w-dropdown-target=toggle]")
    writer.click("footer button[name=action-submit]")
    writer.wait_for_selector(".messages .success")

    editor.goto(f"/cms/pages/{article.pk}/edit/")
    editor.goto(f"/cms/pages/{article.pk}/edit/")
    _action(editor, "Phê chuẩn")
    editor.wait_for_selector(".messages .success")

    approver = _signed_in(browser, live_server, "duyet")
    approver.goto(f"/cms/pages/{article.pk}/edit/")
    go_live = timezone.localtime() + dt.timedelta(hours=1)
    approver.eval_on_selector(
        "#id_go_live_at", "(el, value) => { el.value = value; }", go_live.strftime("%Y-%m-%d %H:%M")
    )
    _action(approver, "Phê chuẩn")
    approver.wait_for_selector(".messages .success")
    article.refresh_from_db()
    assert not article.live and article.source == "Sở Giao thông Vận tải"
    page.goto("/")
    assert title not in page.content()

    with time_machine.travel(go_live + dt.timedelta(minutes=1)):  # the clock reaches the time
        assert publish_scheduled(timezone.now())["published"] == 1  # the scheduler's job
    call_command("worker", "--once", "--no-scheduler", stdout=io.StringIO())  # search index
    article.refresh_from_db()
    assert article.live
    page.goto("/")
    assert title in page.locator("main").inner_text()
    page.goto("/search/?q=khanh+thanh+cau+phu+cuong")
    assert title in page.locator(".search-results").inner_text()
    feed = feedparser.parse(page.request.get("/feeds/rss.xml").body())
    assert feed.entries[0].title == title
    assert article.url in page.request.get("/sitemap.xml").text()
    assert AuditEntry.objects.filter(
        object_type="portal.page", object_id=str(article.pk), message="wagtail.workflow.reject"
    ).exists()


def test_an_editor_translates_a_page_side_by_side_and_the_board_publishes_it(
    browser: Any,  # noqa: F811
    live_server: Any,
    province: Any,  # noqa: F811
    page: Any,  # noqa: F811  (a reader)
) -> None:
    questions = QuestionIndexPage.objects.get(locale__language_code="vi")
    editor = _signed_in(browser, live_server, "bientap")
    editor.goto(f"/cms/localize/submit/page/{questions.pk}/")  # "Translate" in the page menu
    editor.check("input[name=locales]")  # English, the other language
    editor.click("main input[type=submit]")
    editor.wait_for_selector(".messages .success")
    english = QuestionIndexPage.objects.get(locale__language_code="en")
    assert not english.live  # a draft until the board publishes it

    def type_beside(source: str, text: str) -> None:
        """The Vietnamese text, and the editor's English typed in beside it."""
        segment = editor.locator("li.incomplete, li.complete").filter(
            has=editor.get_by_text(source, exact=True)
        )
        segment.locator("button:text-is('Dịch')").click()
        segment.locator("textarea").fill(text)
        segment.locator("button:text-is('Lưu')").click()
        segment.get_by_text(text, exact=True).wait_for()

    type_beside("Hỏi - đáp", "Questions and answers")
    type_beside(
        "Người dân, doanh nghiệp gửi câu hỏi; Ban Biên tập trả lời và công bố.",
        "Citizens and businesses ask; the editorial board answers in public.",
    )
    editor.click("[role=tab]:has-text('Promote')")
    type_beside("hoi-dap", "questions")
    assert editor.locator("footer button[name=action][value=publish]").count() == 0  # not hers
    assert page.goto("/en/questions/").status == 404  # not out yet

    approver = _signed_in(browser, live_server, "duyet")
    approver.goto(f"/cms/pages/{english.pk}/edit/")
    approver.click("footer button[name=action][value=publish]")  # "Publish in English"
    approver.wait_for_selector(".messages .success")

    page.goto("/hoi-dap/")
    assert (
        page.locator("link[rel=alternate][hreflang=en]")
        .get_attribute("href")
        .endswith("/en/questions/")
    )
    page.click(".langswitch a[data-language=en]")
    page.wait_for_url(f"{live_server.url}/en/questions/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == "Questions and answers"
    assert "editorial board answers in public" in page.locator("main").inner_text()
