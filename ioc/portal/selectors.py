"""What the portal's pages read: the home page's blocks, the sections for the navigation,
the page in each language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from wagtail.models import Page, Site

from ioc.portal.models import (
    ArticlePage,
    ConsultationPage,
    DocumentRegisterPage,
    EventPage,
    HomePage,
    OfficialDocumentPage,
    OrganisationPage,
    QuestionIndexPage,
    SectionPage,
    StandardPage,
)

PER_SECTION = 4


def articles() -> Any:
    return ArticlePage.objects.live().public().select_related("lead_image").order_by("-date", "-pk")


def home(page: HomePage) -> dict[str, Any]:
    """The lead story, the latest news, each section's newest, the newest documents."""
    latest = list(articles().descendant_of(page)[:40])
    lead = next((a for a in latest if a.featured), latest[0] if latest else None)
    sections = []
    for section in SectionPage.objects.live().public().child_of(page).filter(on_home=True):
        items = list(section.articles()[:PER_SECTION])
        if items:
            sections.append((section, items))
    register = DocumentRegisterPage.objects.live().public().child_of(page).first()
    documents = (
        OfficialDocumentPage.objects.live().public().child_of(register).order_by("-signed_on")[:6]
        if register
        else []
    )
    today = timezone.localdate()
    return {
        "events": EventPage.objects.live()
        .public()
        .descendant_of(page)
        .filter(starts_at__date__gte=today)
        .order_by("starts_at")[:4],
        "consultations": ConsultationPage.objects.live()
        .public()
        .descendant_of(page)
        .filter(opens_on__lte=today, closes_on__gte=today)
        .order_by("closes_on")[:3],
        "questions": QuestionIndexPage.objects.live().public().descendant_of(page).first(),
        "lead": lead,
        "latest": [a for a in latest if a is not lead][:8],
        "sections": sections,
        "register": register,
        "documents": documents,
    }


def navigation(root: Any) -> list[Any]:
    """The home page's live children shown in menus, in the editors' order."""
    if root is None:
        return []
    return list(
        root.get_children()
        .live()
        .public()
        .in_menu()
        .type(SectionPage, DocumentRegisterPage, StandardPage, OrganisationPage, QuestionIndexPage)
        .specific()
    )


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    url: str  # the switcher's way there
    full_url: str  # for hreflang
    translated: bool  # this page exists in the language (else url is that language's home)


def languages(page: Page, request: HttpRequest) -> list[Language]:
    """The page in each content language: its published translation, or, where it has none,
    that language's home page, or, without one, this very address. Two queries; the portal
    caches the pages that call this."""
    site = Site.find_for_request(request)
    if site is None:
        return []
    found = {p.locale.language_code: p for p in _live_translations(page)}
    homes = {p.locale.language_code: p for p in _live_translations(site.root_page)}
    result = []
    for code, name in settings.WAGTAIL_CONTENT_LANGUAGES:
        target = found.get(code) or homes.get(code)
        if target is None:  # no page in that language yet: the choice is only remembered
            result.append(Language(code, name, request.get_full_path(), "", translated=False))
        else:
            url, full_url = target.get_url(request), target.get_full_url(request)
            result.append(Language(code, name, url, full_url, translated=code in found))
    return result


def _live_translations(page: Page) -> list[Page]:
    return list(page.get_translations(inclusive=True).live().public().select_related("locale"))
