"""Errors about administrative units, said in both languages.

Source strings are English and go through gettext, so the Vietnamese catalogue (ioc/locale)
translates them. Until the catalogue has an entry, the Vietnamese text written next to the
English one here is used, so an operator always reads both languages.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation


def bilingual(en: str, vi: str, **params: Any) -> tuple[str, str]:
    """(English, Vietnamese) for one message; ``en`` is the gettext source string.

    ``params`` fill ``%(name)s`` placeholders in both.
    """
    with translation.override("vi"):
        translated = translation.gettext(en)
    vi_text = translated if translated != en else vi
    return en % params if params else en, vi_text % params if params else vi_text


class UnitChangeError(Exception):
    """A change to the units that cannot be made (nothing was changed)."""

    def __init__(self, en: str, vi: str, **params: Any) -> None:
        self.en, self.vi = bilingual(en, vi, **params)
        super().__init__(f"{self.vi} / {self.en}")

    def localized(self) -> str:
        """The message in the active language."""
        return self.vi if (translation.get_language() or "vi").startswith("vi") else self.en


class UnitLookupError(UnitChangeError):
    """A code, name or date that names no unit (for commands and forms)."""
