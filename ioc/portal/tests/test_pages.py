"""The portal's skeleton and its public pages: home, section, article, documents, feeds."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import feedparser
import pytest
from django.test import Client
from wagtail.models import Page, Site, Workflow, WorkflowPage

from ioc.portal.models import (
    DocumentRegisterPage,
    HomePage,
    OfficialDocumentPage,
    OrganisationPage,
    QuestionIndexPage,
    SectionPage,
    StandardPage,
)
from ioc.portal.setup import SECTIONS, ensure_portal

pytestmark = pytest.mark.django_db


def test_the_skeleton_replaces_wagtails_welcome_page_and_is_made_once(home: Any) -> None:
    site = Site.objects.get(is_default_site=True)
    assert site.root_page.specific == home
    assert not Page.objects.filter(title__startswith="Welcome").exists()
    assert {s.slug for s in SectionPage.objects.child_of(home)} == {slug for slug, _ in SECTIONS}
    assert DocumentRegisterPage.objects.count() == 1
    assert set(StandardPage.objects.values_list("slug", flat=True)) == {
        "gioi-thieu",
        "lien-he",
        "lay-y-kien-du-thao",
    }
    assert OrganisationPage.objects.get().get_parent().slug == "gioi-thieu"
    assert QuestionIndexPage.objects.get().slug == "hoi-dap"
    section = SectionPage.objects.get(slug="kinh-te")
    section.title = "Kinh tế - Đầu tư"  # an editor's change
    section.save()
    ensure_portal()
    assert HomePage.objects.count() == 1 and SectionPage.objects.count() == len(SECTIONS)
    assert SectionPage.objects.get(slug="kinh-te").title == "Kinh tế - Đầu tư"
    workflow = WorkflowPage.objects.get(page=home).workflow
    assert workflow == Workflow.objects.get(name="Ban Biên tập")
    assert [t.name for t in workflow.tasks.all()] == [
        "Biên tập viên duyệt",
        "Ban Biên tập phê duyệt",
    ]


def test_home_page_leads_with_the_newest_lead_story(make_article: Any, client: Client) -> None:
    make_article("Tin nổi bật cũ", featured=True, days_ago=3)
    make_article("Tin nổi bật mới", featured=True, days_ago=1)
    make_article("Tin thường mới nhất", days_ago=0.5)
    make_article("Bản nháp chưa đăng", live=False)
    html = client.get("/").content.decode()
    lead = html.split('class="portal-lead"')[1].split("</section>")[0]
    assert "Tin nổi bật mới" in lead
    assert "Tin thường mới nhất" in html and "Tin nổi bật cũ" in html
    assert "Bản nháp chưa đăng" not in html
    assert 'href="/feedback/"' in html  # the feedback form from every page


def test_article_page_is_ready_to_share(make_article: Any, client: Client) -> None:
    article = make_article(
        'Khởi công "cầu mới" </script><script>alert(1)</script>', author="Minh Anh"
    )
    response = client.get(article.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert f'<link rel="canonical" href="http://localhost{article.url}">' in html
    assert 'property="og:type" content="article"' in html
    assert 'name="twitter:card" content="summary"' in html
    (ld,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(ld)
    assert data["@type"] == "NewsArticle" and data["headline"].startswith('Khởi công "cầu mới"')
    assert data["author"]["name"] == "Minh Anh"


def test_section_lists_its_articles_newest_first_with_pages(
    make_article: Any, section: Any, client: Client
) -> None:
    for n in range(14):
        make_article(f"Bài số {n}", days_ago=n)
    html = client.get(section.url).content.decode()
    assert html.index("Bài số 0") < html.index("Bài số 1")
    assert "Bài số 13" not in html and 'rel="next"' in html
    assert "Bài số 13" in client.get(section.url + "?page=2").content.decode()


def _document(register: Any, number: str, title: str, **fields: Any) -> OfficialDocumentPage:
    fields.setdefault("doc_type", "nghi-quyet")
    fields.setdefault("issuer", "Tỉnh ủy")
    fields.setdefault("signed_on", dt.date(2026, 3, 1))
    doc = OfficialDocumentPage(title=title, number=number, **fields)
    register.add_child(instance=doc)
    return doc


def test_the_register_filters_by_each_field_with_and_without_diacritics(
    home: Any, client: Client
) -> None:
    register = DocumentRegisterPage.objects.get()
    _document(register, "15-NQ/TU", "Nghị quyết về đô thị thông minh", signer="Nguyễn Văn An")
    _document(
        register,
        "20-CT/TU",
        "Chỉ thị về phòng chống thiên tai",
        doc_type="chi-thi",
        issuer="Ban Thường vụ Tỉnh ủy",
        signed_on=dt.date(2025, 6, 1),
        status="expired",
    )

    def numbers(query: str) -> list[str]:
        html = client.get(register.url + query).content.decode()
        return re.findall(r"\d+-[A-Z]+/TU", html.split("<tbody>")[1])

    assert sorted(set(numbers(""))) == ["15-NQ/TU", "20-CT/TU"]
    assert set(numbers("?q=do+thi+thong+minh")) == {"15-NQ/TU"}
    assert set(numbers("?q=20-CT")) == {"20-CT/TU"}
    assert set(numbers("?doc_type=chi-thi")) == {"20-CT/TU"}
    assert set(numbers("?issuer=ban+thuong+vu")) == {"20-CT/TU"}
    assert set(numbers("?signer=nguyen+van+an")) == {"15-NQ/TU"}
    assert set(numbers("?signed_from=2026-01-01")) == {"15-NQ/TU"}
    assert set(numbers("?status=expired")) == {"20-CT/TU"}
    html = client.get(
        register.url + "?signed_from=2026-05-01&signed_to=2026-01-01"
    ).content.decode()
    assert "Ngày bắt đầu sau ngày kết thúc" in html or "start date comes after" in html


def test_documents_dates_must_be_in_order(home: Any) -> None:
    from django.core.exceptions import ValidationError

    register = DocumentRegisterPage.objects.get()
    doc = OfficialDocumentPage(
        title="Quyết định",
        number="1-QĐ",
        doc_type="quyet-dinh",
        issuer="UBND tỉnh",
        signed_on=dt.date(2026, 3, 1),
        effective_on=dt.date(2026, 2, 1),
    )
    doc.path, doc.depth = register.path + "0001", register.depth + 1  # full_clean without saving
    with pytest.raises(ValidationError) as error:
        doc.full_clean()
    assert "effective_on" in error.value.message_dict


def test_feeds_parse_and_hold_only_published_news(
    make_article: Any, home: Any, client: Client
) -> None:
    make_article("Tin đã đăng một", days_ago=1)
    make_article("Tin đã đăng hai")
    make_article("Tin nháp", live=False)
    economy = SectionPage.objects.get(slug="kinh-te")
    make_article("Tin kinh tế", parent=economy)
    for address in ("/feeds/rss.xml", "/feeds/atom.xml"):
        feed = feedparser.parse(client.get(address).content)
        assert not feed.bozo, feed.bozo_exception
        titles = [entry.title for entry in feed.entries]
        assert titles == ["Tin kinh tế", "Tin đã đăng hai", "Tin đã đăng một"]
        assert feed.entries[0].link.endswith(economy.url + "tin-kinh-te/")
    section_feed = feedparser.parse(client.get("/feeds/kinh-te/rss.xml").content)
    assert [e.title for e in section_feed.entries] == ["Tin kinh tế"]
    assert client.get("/feeds/khong-co/rss.xml").status_code == 404


def test_sitemap_and_robots(make_article: Any, client: Client) -> None:
    article = make_article("Tin trong sơ đồ trang")
    draft = make_article("Tin nháp", live=False)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>http://testserver{article.url}</loc>" in sitemap or article.url in sitemap
    assert draft.slug not in sitemap
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /ioc/" in robots and "Sitemap: http://testserver/sitemap.xml" in robots


def test_a_site_without_a_portal_home_still_has_a_landing_page(db: Any, client: Client) -> None:
    Site.objects.all().delete()
    response = client.get("/")
    assert response.status_code == 200 and 'href="/feedback/"' in response.content.decode()
