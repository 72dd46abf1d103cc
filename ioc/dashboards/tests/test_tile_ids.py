"""Ids in a tile's markup are plain digits: with Vietnamese number formats a chart 3810 must not
become "3.810" in its data address (the page then asked for /charts/3.810/data)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from ioc.dashboards.models import Chart


def test_a_tiles_addresses_keep_their_ids_unformatted() -> None:
    chart = Chart(pk=3810, key="x", name="X", kind="bar")
    with translation.override("vi"):
        html = render_to_string("dashboards/_tile.html", {"chart": chart})
    assert "/api/dashboards/charts/3810/data" in html
    assert 'data-chart="3810"' in html and "3.810" not in html
