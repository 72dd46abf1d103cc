"""The digital map in a real browser: boundaries drawn with no tile server, a choropleth that
colours the communes, points, and a click on a dashboard's choropleth that filters the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ioc.demo.accounts import DEMO_USERS
from ioc.tests.test_browser import _chromium, browser, log_in, page, province  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LEADER = next(u for u in DEMO_USERS if u.username == "lanhdao")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_the_map_draws_boundaries_without_tiles_then_a_choropleth_and_points(
    page: Any,  # noqa: F811  (the browser page fixture)
    live_server: Any,
    settings: Any,
) -> None:
    settings.MAP_TILE_URL = ""  # a closed network: no tile server
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if r.resource_type == "image" else None)
    page.route("**/ioc/live/**", lambda route: route.abort())
    log_in(page, live_server, LEADER)
    page.goto("/ioc/map/")
    page.wait_for_selector("body[data-map-ready]")
    communes = page.evaluate("window.iocMap.layers.get('boundaries:3').leaflet.getLayers().length")
    assert communes > 3  # the demo's communes, drawn as vector shapes
    assert page.locator("[data-demo-geometry]").is_visible()  # labelled as demo geometry
    assert not page.locator(".leaflet-tile").count() and not tiles

    page.check('[data-layer="choropleth:tai_nan_giao_thong"]')
    page.wait_for_function(
        "window.iocMap.layers.get('choropleth:tai_nan_giao_thong')?.leaflet !== undefined"
    )
    colours = page.evaluate(
        "[...new Set(window.iocMap.layers.get('choropleth:tai_nan_giao_thong').leaflet"
        ".getLayers().map((l) => l.options.fillColor))]"
    )
    assert len(colours) >= 3, colours  # communes differ, so do their colours
    assert page.locator("[data-legend] .map-ramp").is_visible()

    page.check('[data-layer="points:vi_tri_tai_nan"]')
    page.wait_for_function("window.iocMap.layers.get('points:vi_tri_tai_nan')?.leaflet")
    assert page.locator(".marker-cluster, .leaflet-interactive").count() > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "map.png"))


def test_a_click_on_a_commune_filters_the_dashboard(
    page: Any,  # noqa: F811
    live_server: Any,
) -> None:
    # No live stream here: the test server would keep its request open after the test.
    page.route("**/ioc/live/**", lambda route: route.abort())
    log_in(page, live_server, LEADER)
    page.goto("/ioc/dashboards/giao-thong/")
    page.wait_for_selector("body[data-board-ready]")
    tile = page.locator(".tile-choropleth").first
    tile.scroll_into_view_if_needed()
    page.wait_for_function(  # the communes drawn: the chart exists and knows its units
        "(() => { const t = document.querySelector('.tile-choropleth');"
        " return t && t._units && window.iocBoard.charts.has(t); })()",
        timeout=30_000,
    )
    assert tile.locator("[data-demo-geometry]").is_visible()  # labelled as demo geometry
    # Where on screen is a commune that has figures: its region's centre, as ECharts draws it.
    point = page.evaluate(
        """() => {
        const tile = document.querySelector('.tile-choropleth');
        const chart = window.iocBoard.charts.get(tile);
        const code = tile._units[0].code;
        const series = chart.getModel().getSeriesByIndex(0);
        const centre = series.coordinateSystem.getRegion(code).getCenter();
        const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, centre);
        const box = tile.querySelector('[data-body]').getBoundingClientRect();
        return { x: box.left + x, y: box.top + y, code };
    }"""
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"**unit={point['code']}*")
    page.wait_for_selector("body[data-board-ready]")
    assert page.locator(".board-filter-note").is_visible()  # "Showing <commune> only"
    page.screenshot(path=str(SHOTS / "dashboard-filtered.png"))


OPERATOR = next(u for u in DEMO_USERS if u.username == "vanhanh")

INSIDE_CIRCLE = """() => {
  // Points of the layer inside the drawn circle, counted by the browser from the markers.
  const map = window.iocMap.map;
  const circle = window.iocMapTools.drawn.getLayers().find((l) => l.getRadius);
  const markers = window.iocMap.layers.get('points:vi_tri_tai_nan').leaflet.getLayers();
  const centre = circle.getLatLng();
  return markers.filter((m) => map.distance(m.getLatLng(), centre) <= circle.getRadius()).length;
}"""


def test_the_map_selects_by_shape_finds_the_nearest_and_replays_a_period(
    page: Any,  # noqa: F811
    live_server: Any,
) -> None:
    page.route("**/ioc/live/**", lambda route: route.abort())
    log_in(page, live_server, OPERATOR)
    page.goto("/ioc/map/")
    page.wait_for_selector("body[data-map-ready]")
    page.check('[data-layer="points:vi_tri_tai_nan"]')
    page.wait_for_function("window.iocMap.layers.get('points:vi_tri_tai_nan')?.leaflet")
    total = page.evaluate(
        "window.iocMap.layers.get('points:vi_tri_tai_nan').leaflet.getLayers().length"
    )
    # Operations events by commune: numbered markers and their legend
    page.check('[data-layer="ops:events"]')
    page.wait_for_selector(".ops-marker")
    assert page.locator("[data-legend] .map-swatches li").count() == 5
    page.locator(".ops-marker").first.click()
    assert page.locator(".leaflet-popup .ops-items a").count() >= 1

    box = page.locator("[data-map]").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # A circle: its points, as many as the browser counts inside it from the markers
    page.click("[data-tool=circle]")
    assert page.locator("[data-tool-hint]").inner_text()
    page.mouse.click(cx, cy)
    page.mouse.move(cx + 150, cy)
    page.mouse.click(cx + 150, cy)
    section = page.locator("[data-selection-layer='points:vi_tri_tai_nan']")
    section.wait_for()
    counted = int(section.get_attribute("data-count") or "-1")
    assert 0 < counted < total
    assert counted == page.evaluate(INSIDE_CIRCLE)
    assert page.locator("[data-selection-layer='boundaries:3'] li").count() >= 1

    # A polygon (a triangle, closed by a double-click) holds fewer points than the whole layer
    page.click("[data-tool=polygon]")
    assert page.locator("[data-selection]").is_hidden()  # out of the way while drawing
    for dx, dy in [(-220, -160), (200, -160)]:
        page.mouse.click(cx + dx, cy + dy)
    page.mouse.dblclick(cx, cy + 200)
    section.wait_for()
    in_triangle = int(section.get_attribute("data-count") or "-1")
    assert 0 < in_triangle < total
    assert page.locator("[data-map]").get_attribute("data-drawing") is None  # the tool is done

    # Nearest: five accidents, nearest first, with their distances
    page.click("[data-tool=nearest]")
    page.mouse.click(cx - 40, cy + 30)
    section.wait_for()
    items = section.locator("li").all_inner_texts()
    assert len(items) == 5 and all(" m · " in t or " km · " in t for t in items), items

    # The time slider: one month of accidents, as many as the API counts for that month
    page.check("[data-time-on]")
    page.wait_for_function(
        "(() => { const t = document.querySelector('[data-time]');"
        " return t.dataset.period && !t.dataset.busy; })()"
    )
    page.locator("[data-time-slider]").fill("10")
    page.wait_for_function(
        "(() => { const t = document.querySelector('[data-time]');"
        " const shown = window.iocMap.layers.get('points:vi_tri_tai_nan');"
        " return t.dataset.period && !t.dataset.busy &&"
        " shown?.settings.start === t.dataset.period.split('/')[0]; })()"
    )
    period = page.locator("[data-time]").get_attribute("data-period") or ""
    start, end = period.split("/")
    shown = page.evaluate(
        "window.iocMap.layers.get('points:vi_tri_tai_nan').leaflet.getLayers().length"
    )
    expected = page.evaluate(
        f"fetch('/api/maps/points/vi_tri_tai_nan?start={start}T00:00:00&limit=1"
        f"&end=' + new Date(Date.parse('{end}T00:00:00Z') - 1000).toISOString().slice(0, 19))"
        ".then((r) => r.json()).then((d) => d.numberMatched)"
    )
    assert 0 < shown == expected < total
    assert page.locator("[data-time-label]").inner_text().strip()
    page.click("[data-time-play]")
    page.wait_for_function(
        f"document.querySelector('[data-time]').dataset.period !== {period!r}", timeout=15_000
    )
    page.click("[data-time-play]")  # pause
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-tools.png"))
