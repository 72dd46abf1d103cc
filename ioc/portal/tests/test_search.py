"""The portal's search: with and without diacritics, ranked, filtered; drafts never found."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ioc.portal.models import DocumentRegisterPage, OfficialDocumentPage, SectionPage, StandardPage
from ioc.portal.search import run

# The index is written by the real worker (`ioc worker --once`), which closes connections:
# a transaction per test cannot hold it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def corpus(home: Any, make_article: Any, run_tasks: Any) -> dict[str, Any]:
    register = DocumentRegisterPage.objects.get()
    resolution = OfficialDocumentPage(
        title="Nghị quyết về phát triển đô thị thông minh",
        number="15-NQ/TU",
        doc_type="nghi-quyet",
        issuer="Tỉnh ủy",
        signed_on=dt.date(2026, 3, 1),
    )
    register.add_child(instance=resolution)
    economy = SectionPage.objects.get(slug="kinh-te")
    pages = {
        "resolution": resolution,
        "news": make_article(
            "Triển khai Nghị quyết 15 của Tỉnh ủy",
            summary="Các xã, phường học tập nghị quyết về đô thị thông minh.",
        ),
        "economy": make_article(
            "Xuất khẩu tăng mạnh",
            parent=economy,
            summary="Đường sá thông thoáng, hàng hóa lưu thông.",
        ),
        "old": make_article("Đảng bộ phường kết nạp đảng viên", days_ago=400),
        "draft": make_article("Nghị quyết chưa công bố", live=False),
    }
    run_tasks()
    return pages


def titles(query: str, **filters: Any) -> list[str]:
    return [page.title for page in run({"q": query, **filters})]


@pytest.mark.parametrize("query", ["nghi quyet", "Nghị quyết", "NGHI QUYET", "nghị quyet"])
def test_vietnamese_is_found_with_and_without_diacritics(
    corpus: dict[str, Any], query: str
) -> None:
    found = titles(query)
    assert set(found) == {
        "Nghị quyết về phát triển đô thị thông minh",
        "Triển khai Nghị quyết 15 của Tỉnh ủy",
    }


def test_d_with_stroke_folds_to_d(corpus: dict[str, Any]) -> None:
    assert titles("dang vien") == ["Đảng bộ phường kết nạp đảng viên"]
    assert titles("đường sá") == ["Xuất khẩu tăng mạnh"]


def test_every_word_must_match_and_drafts_are_never_found(corpus: dict[str, Any]) -> None:
    assert titles("nghi quyet xuat khau") == []
    assert "Nghị quyết chưa công bố" not in titles("chua cong bo") + titles("nghi quyet")
    assert titles("") == [] and titles("   ") == []


def test_filters_by_type_section_and_date(corpus: dict[str, Any]) -> None:
    assert titles("nghi quyet", kind="documents") == ["Nghị quyết về phát triển đô thị thông minh"]
    assert titles("nghi quyet", kind="news") == ["Triển khai Nghị quyết 15 của Tỉnh ủy"]
    economy = SectionPage.objects.get(slug="kinh-te")
    assert titles("xuat khau", section=economy) == ["Xuất khẩu tăng mạnh"]
    assert titles("xuat khau", section=SectionPage.objects.get(slug="chinh-tri")) == []
    recent = timezone.localdate() - dt.timedelta(days=30)
    assert titles("dang vien", since=recent) == []
    assert titles("dang vien", until=recent) == ["Đảng bộ phường kết nạp đảng viên"]


def test_pages_are_searched_too(home: Any, run_tasks: Any) -> None:
    page = StandardPage.objects.get(slug="gioi-thieu")
    page.intro = "Cơ cấu tổ chức của Ban Chấp hành Đảng bộ tỉnh"
    page.save_revision().publish()
    run_tasks()
    assert titles("co cau to chuc") == ["Giới thiệu"]


def test_the_search_page(corpus: dict[str, Any], client: Client) -> None:
    html = client.get("/search/", {"q": "nghi quyet", "kind": "documents"}).content.decode()
    assert "15-NQ/TU" in html and "1 kết quả" in html
    bad = client.get("/search/", {"q": "x", "since": "không phải ngày"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    backwards = client.get(
        "/search/", {"q": "nghi quyet", "since": "2026-05-01", "until": "2026-01-01"}
    )
    assert "Ngày bắt đầu sau ngày kết thúc." in backwards.content.decode()
    assert (
        "<script>"
        not in client.get("/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    )
