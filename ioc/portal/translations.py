"""Pages in other languages, made the way editors make them in the side-by-side editor
(wagtail-localize): a translation of the Vietnamese page's source, one string typed beside
each Vietnamese segment, then saved (draft) or published. Strings left untranslated keep the
Vietnamese text, and "Sync translated pages" later carries the source's changes across."""

from __future__ import annotations

from typing import Any

from wagtail.models import Locale, Page
from wagtail_localize.models import StringTranslation, Translation, TranslationSource


def translate(
    page: Page,
    language_code: str,
    strings: dict[str, str],
    *,
    user: Any = None,
    publish: bool = True,
) -> Page:
    """The page in that language, with `strings` (Vietnamese text -> its translation) typed
    in for the segments they match. Its parents are translated first when they are not."""
    locale = Locale.objects.get(language_code=language_code)
    source, _created = TranslationSource.get_or_create_from_instance(page)
    translation, _created = Translation.objects.get_or_create(source=source, target_locale=locale)
    for segment in source.stringsegment_set.select_related("string", "context"):
        text = strings.get(segment.string.data)
        if text is not None:
            StringTranslation.objects.update_or_create(
                translation_of=segment.string,
                locale=locale,
                context=segment.context,
                defaults={
                    "data": text,
                    "translation_type": StringTranslation.TRANSLATION_TYPE_MANUAL,
                    "last_translated_by": user,
                },
            )
    translation.save_target(user=user, publish=publish)
    found: Page = page.get_translation(locale)
    return found.specific
