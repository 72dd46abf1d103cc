"""Numbers, money and dates the way the reader expects them, in the active language.

    {% load vn %}
    {{ 1234567.5|vn_number }}      vi: 1.234.567,5     en: 1,234,567.5
    {{ ratio|vn_number:1 }}        vi: 12,3            en: 12.3   (rounded half up)
    {{ 1234567|vn_currency }}      vi: 1.234.567 ₫     en: 1,234,567 ₫   (no decimals)
    {{ day|vn_date }}              vi: 26/11/2026      en: 26 Nov 2026
    {{ moment|vn_datetime }}       vi: 14:05 26/11/2026 en: 26 Nov 2026, 14:05
    {{ moment|vn_time }}           14:05
    {{ user|vn_name }}             Trần Thị Vân   (family name first, the Vietnamese order)
    {{ lag|vn_duration }}          vi: 2 ngày 3 giờ      en: 2 days 3 hours

Separators and patterns come from ioc/formats/<language>/formats.py; aware datetimes are shown
in the current time zone (TIME_ZONE, Asia/Ho_Chi_Minh by default). The space before ₫ is a
no-break space, so an amount never wraps away from its currency sign. Values that are not
numbers or dates come back unchanged; None becomes an empty string.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, ngettext

register = template.Library()

NBSP = "\u00a0"
CURRENCY_SIGN = "₫"


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # str() gives the shortest repr, so 0.1 stays 0.1 rather than 0.1000000000000000055...
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _format_decimal(number: Decimal, decimal_pos: int | None) -> str:
    if not number.is_finite():
        return str(number)
    if decimal_pos is not None:
        # Django's number_format cuts extra decimals off; round half up first, as people do.
        number = number.quantize(Decimal(1).scaleb(-decimal_pos), rounding=ROUND_HALF_UP)
    if number.is_zero():
        number = abs(number)  # never "-0"
    return formats.number_format(number, decimal_pos, use_l10n=True, force_grouping=True)


@register.filter
def vn_number(value: Any, decimal_pos: Any = None) -> Any:
    """Group thousands and mark decimals as the active language does; optional decimals."""
    if value is None or value == "":
        return ""
    number = _to_decimal(value)
    if number is None:
        return value
    try:
        places = None if decimal_pos in (None, "") else int(decimal_pos)
    except (TypeError, ValueError):
        places = None
    if places is not None and places < 0:
        places = None
    return _format_decimal(number, places)


@register.filter
def vn_currency(value: Any) -> Any:
    """An amount in đồng: grouped, rounded to a whole đồng, followed by ₫."""
    if value is None or value == "":
        return ""
    number = _to_decimal(value)
    if number is None:
        return value
    return f"{_format_decimal(number, 0)}{NBSP}{CURRENCY_SIGN}"


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        parsed: dt.datetime | dt.date | None = parse_datetime(value) or parse_date(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value


@register.filter
def vn_date(value: Any, variant: str = "") -> Any:
    """A date (or a datetime's local date): DATE_FORMAT, or SHORT_DATE_FORMAT with "short"."""
    if value is None or value == "":
        return ""
    value = _as_datetime(value)
    if not isinstance(value, dt.date):
        return value
    fmt = "SHORT_DATE_FORMAT" if variant == "short" else "DATE_FORMAT"
    return formats.date_format(value, fmt, use_l10n=True)


@register.filter
def vn_datetime(value: Any, variant: str = "") -> Any:
    """A moment in local time: DATETIME_FORMAT, or SHORT_DATETIME_FORMAT with "short".

    A plain date is shown as a date.
    """
    if value is None or value == "":
        return ""
    value = _as_datetime(value)
    if not isinstance(value, dt.date):
        return value
    if not isinstance(value, dt.datetime):
        return vn_date(value, variant)
    fmt = "SHORT_DATETIME_FORMAT" if variant == "short" else "DATETIME_FORMAT"
    return formats.date_format(value, fmt, use_l10n=True)


@register.filter
def vn_time(value: Any) -> Any:
    """The local time of day, e.g. 14:05."""
    if value is None or value == "":
        return ""
    value = _as_datetime(value)
    if not isinstance(value, dt.datetime | dt.time):
        return value
    return formats.time_format(value, "TIME_FORMAT", use_l10n=True)


@register.filter
def vn_name(user: Any) -> str:
    """A person's name in Vietnamese order: family and middle names (last_name), then the given
    name (first_name): "Trần Thị" + "Vân" → "Trần Thị Vân". The username when both are empty."""
    if user is None:
        return ""
    last = (getattr(user, "last_name", "") or "").strip()
    first = (getattr(user, "first_name", "") or "").strip()
    name = f"{last} {first}".strip()
    if name:
        return name
    get_username = getattr(user, "get_username", None)
    return str(get_username()) if callable(get_username) else str(user)


@register.filter
def vn_duration(value: Any) -> str:
    """A timedelta in words, its two largest parts: "2 ngày 3 giờ", "45 phút" (English: "2 days
    3 hours"). Seconds are dropped; under a minute reads "under a minute"."""
    if not isinstance(value, dt.timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return str(gettext("under a minute"))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if mins and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    return " ".join(parts[:2])
