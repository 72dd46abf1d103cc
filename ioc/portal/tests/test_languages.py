"""The portal in two languages: one address per language (/gioi-thieu/ Vietnamese,
/en/introduction/ English), hreflang between them, the switcher taking readers to the same page
in the other language, and translations made as editors make them (wagtail-localize)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from wagtail.models import GroupPagePermission, Locale, WorkflowPage

from ioc.accounts.choices import Role
from ioc.portal.models import HomePage, QuestionIndexPage, StandardPage
from ioc.portal.translations import translate

pytestmark = pytest.mark.django_db

ENGLISH = {
    "Trang chủ": "Home",
    "Giới thiệu": "About the portal",
    "gioi-thieu": "introduction",
}


@pytest.fixture
def translated(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """translate(), with the publishing it leaves to the end of the transaction done."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            page = translate(*args, **kwargs)
        page.refresh_from_db()
        return page

    return run


@pytest.fixture
def about(home: HomePage, translated: Callable[..., Any]) -> StandardPage:
    """The introduction, translated into English (its parent, the home, comes with it)."""
    page = StandardPage.objects.get(slug="gioi-thieu")
    page.intro = "Cổng thông tin của Tỉnh ủy."
    page.save_revision().publish()
    translated(page, "en", {**ENGLISH, "Cổng thông tin của Tỉnh ủy.": "The Party's portal."})
    return page


def _alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)"', html))


def test_each_language_has_its_own_address(about: StandardPage) -> None:
    english = about.get_translation(Locale.objects.get(language_code="en"))
    assert english.url == "/en/introduction/" and english.live
    response = Client().get("/en/introduction/")
    html = response.content.decode()
    assert response["Content-Language"] == "en" and '<html lang="en">' in html
    assert "<h1>About the portal</h1>" in html and "The Party&#x27;s portal." in html
    html = Client().get("/gioi-thieu/").content.decode()
    assert "<h1>Giới thiệu</h1>" in html and '<html lang="vi">' in html
    english_home = Client().get("/en/").content.decode()
    assert '<html lang="en">' in english_home and 'href="/en/introduction/"' in english_home


def test_a_vietnamese_address_stays_vietnamese_whatever_the_visitor_chose(
    about: StandardPage,
) -> None:
    reader = Client()
    reader.get("/i18n/en/")  # the switcher's cookie
    assert '<html lang="vi">' in reader.get("/gioi-thieu/").content.decode()
    assert '<html lang="vi">' in reader.get("/").content.decode()
    # ...while the pages that have one address for all (sign-in, reports) follow the choice
    assert '<html lang="en">' in reader.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in reader.get("/feedback/").content.decode()


def test_an_english_address_of_an_untranslated_page_leads_to_the_vietnamese_one(
    about: StandardPage, make_article: Any
) -> None:
    article = make_article("Tin chỉ có tiếng Việt")
    response = Client().get(f"/en{article.url}")
    assert response.status_code == 302 and response["Location"] == article.url
    assert Client().get("/en/hoi-dap/")["Location"] == "/hoi-dap/"
    assert Client().get("/en/khong-co-trang-nay/").status_code == 404
    english_home = Client().get("/en/").content.decode()
    assert "Tin chỉ có tiếng Việt" in english_home  # the news, in Vietnamese, at its address
    assert 'class="news-card news-card-big" lang="vi">' in english_home  # WCAG 3.1.2
    assert 'lang="vi"' not in Client().get("/").content.decode().split("<body", 1)[1]


def test_translations_point_at_each_other_for_search_engines(
    about: StandardPage, make_article: Any
) -> None:
    expected = {
        "vi": "http://localhost/gioi-thieu/",
        "en": "http://localhost/en/introduction/",
        "x-default": "http://localhost/gioi-thieu/",
    }
    assert _alternates(Client().get("/gioi-thieu/").content.decode()) == expected
    assert _alternates(Client().get("/en/introduction/").content.decode()) == expected
    article = make_article("Tin chỉ có tiếng Việt")
    assert _alternates(Client().get(article.url).content.decode()) == {}  # no translation
    sitemap = Client().get("/sitemap.xml").content.decode()
    assert "<loc>http://localhost/en/introduction/</loc>" in sitemap
    assert (
        '<xhtml:link rel="alternate" hreflang="en" href="http://localhost/en/introduction/"/>'
        in sitemap
    )


def test_the_switcher_goes_to_the_same_page_in_the_other_language(
    about: StandardPage, make_article: Any
) -> None:
    html = Client().get("/gioi-thieu/").content.decode()
    assert 'href="/i18n/en/?next=/en/introduction/"' in html
    html = Client().get("/en/introduction/").content.decode()
    assert 'href="/i18n/vi/?next=/gioi-thieu/"' in html
    article = make_article("Tin chỉ có tiếng Việt")  # no English: the English home
    assert 'href="/i18n/en/?next=/en/"' in Client().get(article.url).content.decode()
    reader = Client()
    response = reader.get("/i18n/en/?next=/en/introduction/")
    assert response["Location"] == "/en/introduction/"
    assert reader.cookies["django_language"].value == "en"


def test_a_translation_is_a_draft_until_published_and_keeps_what_is_not_yet_translated(
    home: HomePage, translated: Callable[..., Any]
) -> None:
    questions = QuestionIndexPage.objects.get()
    english = translated(questions, "en", {"Hỏi - đáp": "Questions"}, publish=False)
    assert not english.live and english.get_latest_revision_as_object().title == "Questions"
    assert Client().get("/en/hoi-dap/")["Location"] == "/hoi-dap/"  # nothing half-done shows
    english = translated(questions, "en", {"hoi-dap": "questions"})
    assert english.live and english.title == "Questions" and english.url == "/en/questions/"
    assert english.intro == questions.intro  # not translated yet: the Vietnamese text


def test_the_board_edits_under_every_languages_home(about: StandardPage, home: HomePage) -> None:
    english_home = HomePage.objects.get(locale__language_code="en")
    workflow = WorkflowPage.objects.get(page=home).workflow
    assert WorkflowPage.objects.get(page=english_home).workflow == workflow

    def rights(group: Group, page: HomePage) -> set[str]:
        found = GroupPagePermission.objects.filter(group=group, page=page)
        return set(found.values_list("permission__codename", flat=True))

    for role in (Role.PORTAL_WRITER, Role.PORTAL_EDITOR, Role.PORTAL_APPROVER):
        group = Group.objects.get(name=role.value)
        assert rights(group, english_home) == rights(group, home) != set()


def test_editors_may_translate_and_writers_may_not(board: dict[str, Any]) -> None:
    assert board["editor"].has_perm("wagtail_localize.submit_translation")
    assert board["approver"].has_perm("wagtail_localize.submit_translation")
    assert not board["writer"].has_perm("wagtail_localize.submit_translation")


def test_markup_typed_as_a_translation_is_stripped_or_refused(
    home: HomePage, translated: Callable[..., Any]
) -> None:
    from wagtail.rich_text import RichText

    contact = StandardPage.objects.get(slug="lien-he")
    contact.body = [("paragraph", RichText("<p>Điện thoại: 1022.</p>"))]
    contact.save_revision().publish()
    english = translated(
        contact,
        "en",
        {
            "Liên hệ": "<b>Contact</b>",  # a plain-text field: its text only
            "Ban Biên tập Cổng thông tin điện tử Tỉnh ủy.": "<script>alert(1)</script>",
            "Điện thoại: 1022.": "<script>alert(2)</script>Phone",  # rich text
        },
    )
    html = Client().get(english.url).content.decode()
    assert "<h1>Contact</h1>" in html and "<title>Contact ·" in html  # the tags dropped
    # a script is refused wherever it is typed: the Vietnamese text stays until it is fixed
    assert "alert(" not in html and "Điện thoại: 1022." in html
