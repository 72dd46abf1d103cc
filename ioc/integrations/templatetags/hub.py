"""{% run_bars runs %}: rows per run over time, as a small bar chart (inline SVG).

Each bar is one run, oldest on the left: accepted rows in green, rejected in red on top, a
failed run as a red mark at the base. The text alternative says the same in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

WIDTH, HEIGHT, GAP = 8, 48, 2


@register.simple_tag
def run_bars(runs: Sequence[Any]) -> SafeString:
    runs = list(reversed(list(runs)))
    if not runs:
        return mark_safe("")
    top = max((r.rows_accepted + r.rows_rejected for r in runs), default=0) or 1
    width = len(runs) * (WIDTH + GAP)
    parts = []
    for i, run in enumerate(runs):
        x = i * (WIDTH + GAP)
        ok = HEIGHT * run.rows_accepted / top
        bad = HEIGHT * run.rows_rejected / top
        title = escape(
            _("%(when)s: %(a)s accepted, %(r)s rejected")
            % {
                "when": run.started_at.strftime("%d/%m %H:%M"),
                "a": run.rows_accepted,
                "r": run.rows_rejected,
            }
        )
        parts.append(f"<g><title>{title}</title>")
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - ok:.1f}" width="{WIDTH}" height="{ok:.1f}"'
            ' fill="#2e7d32"/>'
        )
        if bad:
            parts.append(
                f'<rect x="{x}" y="{HEIGHT - ok - bad:.1f}" width="{WIDTH}" height="{bad:.1f}"'
                ' fill="#c62828"/>'
            )
        if run.status == "failed":
            parts.append(f'<rect x="{x}" y="{HEIGHT}" width="{WIDTH}" height="4" fill="#c62828"/>')
        parts.append("</g>")
    failed = sum(1 for r in runs if r.status == "failed")
    label = _("Rows per load, last %(n)s loads: %(a)s accepted, %(r)s rejected, %(f)s failed") % {
        "n": len(runs),
        "a": sum(r.rows_accepted for r in runs),
        "r": sum(r.rows_rejected for r in runs),
        "f": failed,
    }
    return format_html(
        '<svg class="run-bars" role="img" aria-label="{}" width="{}" height="{}"'
        ' viewBox="0 0 {} {}">{}</svg>',
        label,
        width,
        HEIGHT + 4,
        width,
        HEIGHT + 4,
        mark_safe("".join(parts)),
    )
