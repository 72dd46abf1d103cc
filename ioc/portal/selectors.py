"""What the portal's pages read: the home page's blocks, the sections for the navigation."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

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
