// The drawing of dashboard tiles, shared by the dashboard pages and the wall: each tile asks the
// API for its chart's answer and draws it with ECharts (SVG, so it is crisp on a 4K wall and
// exports as SVG), with its own data's freshness, a table of the figures as its text
// alternative, and drill-down: a click on a commune filters the page.
import * as echarts from "echarts/core";
import { BarChart, GaugeChart, HeatmapChart, LineChart, MapChart, PieChart } from "echarts/charts";
import {
  AriaComponent,
  CalendarComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import { disposeMapTiles, loadMapTiles } from "./maptile.js";

echarts.use([
  BarChart, GaugeChart, HeatmapChart, LineChart, MapChart, PieChart,
  AriaComponent, CalendarComponent, GeoComponent, GridComponent, LegendComponent, TooltipComponent,
  VisualMapComponent, SVGRenderer,
]);

// Colour-blind-safe, readable on a dark wall, distinct when printed in grey.
export const PALETTE = ["#0b57a4", "#e69f00", "#009e73", "#cc3f7a", "#56b4e9", "#d55e00", "#6a4c93", "#4b5b6b"];
// The same hues, lighter, for the dark wall.
export const PALETTE_DARK = ["#6cb4f5", "#f5b942", "#3fd0a6", "#f07bab", "#9bd8ff", "#ff9a5c", "#b9a3e3", "#cfd8dc"];
const dark = () => document.body.classList.contains("theme-dark");

function themed(option) {
  if (!dark()) return { color: PALETTE, ...option };
  const ink = "#e6edf3";
  const faint = "#3a4b5c";
  // The wall's text grows with the screen (1080p: 18 px a line, 4K: 36 px).
  const size = Math.round(parseFloat(getComputedStyle(document.body).fontSize) * 0.72) || 12;
  const axis = (a) => a && ({
    ...a,
    axisLine: { lineStyle: { color: faint } },
    axisLabel: { ...(a.axisLabel || {}), color: ink, fontSize: size },
    splitLine: { lineStyle: { color: faint } },
  });
  return {
    color: PALETTE_DARK,
    backgroundColor: "transparent",
    textStyle: { color: ink, fontSize: size },
    ...option,
    legend: option.legend && { ...option.legend, textStyle: { color: ink, fontSize: size } },
    xAxis: axis(option.xAxis),
    yAxis: axis(option.yAxis),
  };
}
const LANG = document.documentElement.lang === "en" ? "en" : "vi";
const LOCALE = LANG === "vi" ? "vi-VN" : "en-GB";
const number = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat(LOCALE, { notation: "compact", maximumFractionDigits: 1 });
const strings = JSON.parse(document.getElementById("board-strings")?.textContent || "{}");
export const charts = new Map(); // tile element -> echarts instance
// Tile -> how many times its dashboard has left the wall (disposeAll): an answer that arrives
// after its dashboard has gone is not drawn, or it would make a chart on a hidden slide (0×0,
// kept until that dashboard comes round again and leaves).
const left = new WeakMap();

export function formatNumber(value) {
  return value === null || value === undefined ? "—" : number.format(value);
}

const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function formatTime(text, grain) {
  if (!text) return "—";
  const [date, clock = ""] = String(text).split("T");
  const [y, m, d] = date.split("-");
  const dd = `${d}/${m}`;
  switch (grain) {
    case "year": return y;
    case "quarter": return LANG === "vi" ? `Quý ${Math.floor((m - 1) / 3) + 1}/${y}` : `Q${Math.floor((m - 1) / 3) + 1} ${y}`;
    case "month": return LANG === "vi" ? `T${Number(m)}/${y}` : `${MONTHS_EN[m - 1]} ${y}`;
    case "week": return LANG === "vi" ? `Tuần ${dd}/${y}` : `Week of ${dd}/${y}`;
    case "hour": return `${clock.slice(0, 5)} ${dd}`;
    default: return `${dd}/${y}`;
  }
}

function pageParams() {
  const here = new URLSearchParams(window.location.search);
  const out = new URLSearchParams();
  for (const key of ["start", "end", "last", "unit", "level"]) {
    if (here.get(key)) out.set(key, here.get(key));
  }
  return out;
}

// The answer's columns: dimensions (with each unit code's name) and metrics.
function shape(data, options) {
  const cols = data.columns;
  const dims = cols.map((c, i) => ({ ...c, i })).filter((c) => c.kind !== "metric" && c.kind !== "unit_name");
  const names = {};
  cols.forEach((c, i) => { if (c.kind === "unit_name") names[c.name.replace(/_name$/, "")] = i; });
  const wanted = options.series;
  const metrics = cols.map((c, i) => ({ ...c, i })).filter((c) => c.kind === "metric" && (!wanted || wanted.includes(c.name)));
  const label = (dim, row) => {
    if (dim.kind === "time") return formatTime(row[dim.i], dim.grain);
    if (dim.kind === "unit" && names[dim.name] !== undefined) return row[names[dim.name]] || row[dim.i] || "—";
    return row[dim.i] ?? "—";
  };
  return { dims, metrics, label };
}

function seriesType(kind) {
  return { line: "line", area: "line", bar: "bar", stacked_bar: "bar", horizontal_bar: "bar", ranking: "bar" }[kind] || "bar";
}

function cartesian(kind, data, options) {
  const { dims, metrics, label } = shape(data, options);
  const x = dims[0];
  const split = dims[1];
  const categories = [];
  const seen = new Map();
  for (const row of data.rows) {
    const key = label(x, row);
    if (!seen.has(key)) { seen.set(key, categories.length); categories.push(key); }
  }
  let series;
  if (split) {
    const groups = new Map();
    for (const row of data.rows) {
      const name = label(split, row);
      if (!groups.has(name)) groups.set(name, new Array(categories.length).fill(null));
      groups.get(name)[seen.get(label(x, row))] = row[metrics[0].i];
    }
    series = [...groups].map(([name, values]) => ({ name, data: values }));
  } else {
    series = metrics.map((m) => ({ name: m.label, data: data.rows.map((r) => r[m.i]) }));
  }
  const horizontal = kind === "horizontal_bar" || kind === "ranking";
  const type = seriesType(kind);
  const valueAxis = { type: "value", axisLabel: { formatter: (v) => compact.format(v), hideOverlap: true } };
  const categoryAxis = { type: "category", data: categories, inverse: horizontal, axisLabel: { hideOverlap: true } };
  return {
    legend: series.length > 1 ? { type: "scroll", bottom: 0 } : undefined,
    grid: { left: 8, right: 16, top: 16, bottom: series.length > 1 ? 36 : 8, containLabel: true },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    tooltip: { trigger: "axis", valueFormatter: formatNumber },
    series: series.map((s) => ({
      ...s,
      type,
      stack: kind === "stacked_bar" ? "all" : undefined,
      areaStyle: kind === "area" ? { opacity: 0.25 } : undefined,
      smooth: false,
      showSymbol: categories.length < 40,
      connectNulls: false,
    })),
    _units: x && x.kind === "unit" ? data.rows.map((r) => ({ code: r[x.i], level: x.level })) : null,
  };
}

// Choropleth: the communes' polygons (from /api/maps/boundaries, fetched once per page) coloured
// by the metric; a click on a commune filters the page, like a bar of a ranking.
const shapes = new Map(); // level -> Promise of the registered map's name
function boundaries(level) {
  const key = level === "province" ? 1 : 3;
  if (!shapes.has(key)) {
    shapes.set(key, fetch(`/api/maps/boundaries/${key}?simplify=0.0005`, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.statusText))))
      .then((geojson) => {
        echarts.registerMap(`ioc-${key}`, geojson);
        return { name: `ioc-${key}`, demo: geojson.features.some((f) => f.properties.demo) };
      }));
  }
  return shapes.get(key);
}

function choropleth(data, options, map) {
  const { metrics, dims, label } = shape(data, options);
  const unit = dims.find((d) => d.kind === "unit") || dims[0];
  const values = data.rows.map((r) => r[metrics[0].i]).filter((v) => v !== null && v !== undefined);
  const ink = dark() ? "#e6edf3" : "#1d2733";
  return {
    tooltip: { trigger: "item", formatter: (p) => `${p.data?.label || p.name}: ${formatNumber(p.value)}` },
    visualMap: {
      min: Math.min(...values, 0),
      max: Math.max(...values, 1),
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      itemHeight: 120,
      text: [compact.format(Math.max(...values, 1)), compact.format(Math.min(...values, 0))],
      textStyle: { color: ink },
      inRange: { color: dark() ? ["#1b3a55", "#6cb4f5", "#f5b942"] : ["#e8f1fa", "#5b9bd5", "#0b3d73"] },
    },
    series: [{
      type: "map",
      map: map.name,
      nameProperty: "code",
      roam: false,
      top: 4,
      bottom: 36,
      itemStyle: { borderColor: dark() ? "#0d1b2a" : "#ffffff", borderWidth: 0.6, areaColor: dark() ? "#22323f" : "#eef1f4" },
      emphasis: { label: { show: false }, itemStyle: { areaColor: "#e69f00" } },
      select: { disabled: true },
      data: data.rows.map((r) => ({ name: r[unit.i], value: r[metrics[0].i], label: label(unit, r) })),
    }],
    _units: data.rows.map((r) => ({ code: r[unit.i], level: unit.level })),
  };
}

function pie(data, options) {
  const { dims, metrics, label } = shape(data, options);
  return {
    legend: { type: "scroll", bottom: 0 },
    tooltip: { trigger: "item", valueFormatter: formatNumber },
    series: [{
      type: "pie",
      radius: ["40%", "68%"],
      label: { formatter: "{d}%" },
      data: data.rows.map((r) => ({ name: label(dims[0], r), value: r[metrics[0].i] })),
    }],
  };
}

function gauge(data, options) {
  const { metrics } = shape(data, options);
  const value = data.rows[0]?.[metrics[0].i] ?? 0;
  const target = Number(options.target) || 0;
  const max = Math.max(target * 1.5, value * 1.2, 1);
  // A compact dial that reads in a small tile: the arc, the value, the target; no tick labels.
  return {
    series: [{
      type: "gauge",
      min: 0,
      max: Math.ceil(max),
      radius: "95%",
      center: ["50%", "60%"],
      startAngle: 200,
      endAngle: -20,
      progress: { show: true, width: 10 },
      axisLine: { lineStyle: { width: 10 } },
      axisTick: { show: false },
      splitLine: { show: false },
      axisLabel: { show: false },
      pointer: { show: false },
      title: { offsetCenter: [0, "35%"], fontSize: 11 },
      detail: { formatter: (v) => formatNumber(v), fontSize: 18, fontWeight: 700, offsetCenter: [0, "0%"] },
      data: [{ value, name: target ? `${strings.target || "Target"}: ${formatNumber(target)}` : "" }],
    }],
  };
}

// The colour scale's top: the 95th percentile of the days, so that one outlier (a catch-up
// file, a festival) does not wash the rest of the year out; days above it take its colour.
function calendarTop(values) {
  const sorted = values.filter((v) => v !== null && v !== undefined).sort((a, b) => a - b);
  if (!sorted.length) return 1;
  return Math.max(sorted[Math.floor((sorted.length - 1) * 0.95)], 1);
}

// Month labels that fit a narrow cell: "3" for March, "1/26" in January; every month when a
// month's column is wide enough for a label at the text's size, else every third; none over the first or last
// month when the range holds less than half of it (its column too narrow to hold one).
function calendarMonths(first, last, width, size) {
  const months = Math.max(1, (new Date(last) - new Date(first)) / 2.63e9 + 1);
  const room = width / months; // px a month
  const partial = new Set();
  if (first && Number(first.slice(8, 10)) > 15) partial.add(first.slice(0, 7));
  if (last && Number(last.slice(8, 10)) < 15) partial.add(last.slice(0, 7));
  return (p) => {
    const m = Number(p.M);
    if (partial.has(`${p.yyyy}-${p.MM}`)) return "";
    if (room < size * 2.8 && m % 3 !== 1) return ""; // "1/26" is about 2.5 font sizes wide
    return m === 1 ? `1/${String(p.yyyy).slice(2)}` : String(m);
  };
}

function calendar(data, options, body) {
  const { dims, metrics } = shape(data, options);
  const points = data.rows.map((r) => [String(r[dims[0].i]).slice(0, 10), r[metrics[0].i]]);
  const values = points.map((p) => p[1]).filter((v) => v !== null);
  const first = points[0]?.[0];
  const last = points[points.length - 1]?.[0];
  const top = calendarTop(values);
  const colours = dark() ? ["#1b3a55", "#6cb4f5", "#f5b942"] : ["#e8f1fa", "#5b9bd5", "#0b3d73"];
  const ink = dark() ? "#e6edf3" : "#1d2733";
  const gap = dark() ? "#0d1b2a" : "#ffffff";
  const size = Math.round(parseFloat(getComputedStyle(document.body).fontSize) * 0.72) || 12;
  return {
    tooltip: { formatter: (p) => `${formatTime(p.value[0], "day")}: ${formatNumber(p.value[1])}` },
    visualMap: {
      min: Math.min(...values, 0), max: top, orient: "horizontal", left: "center", bottom: 0,
      itemHeight: Math.max(120, (body?.clientWidth || 300) * 0.4), itemWidth: Math.max(10, size * 0.8),
      text: [`${compact.format(top)}+`, compact.format(Math.min(...values, 0))], textStyle: { color: ink, fontSize: size },
      inRange: { color: colours }, outOfRange: { color: colours[colours.length - 1] }, calculable: false,
    },
    calendar: {
      range: [first, last], cellSize: ["auto", "auto"], top: size * 1.8, left: 8, right: 8, bottom: size * 2.8,
      dayLabel: { show: false }, yearLabel: { show: false },
      monthLabel: { color: ink, fontSize: size, formatter: calendarMonths(first, last, (body?.clientWidth || 300) - 16, size) },
      splitLine: { lineStyle: { color: dark() ? "#6b7c8d" : "#8a99a8", width: 1 } },
      itemStyle: { color: dark() ? "#22323f" : "#eef1f4", borderColor: gap, borderWidth: 1 },
    },
    series: [{ type: "heatmap", coordinateSystem: "calendar", data: points }],
  };
}

function kpi(body, data, options) {
  const { metrics } = shape(data, options);
  const m = metrics[0];
  const value = data.rows[0]?.[m.i] ?? null;
  const previous = data.previous?.[0]?.[m.i] ?? null;
  body.replaceChildren();
  const big = document.createElement("p");
  big.className = "kpi-value";
  big.textContent = formatNumber(value);
  if (options.unit) {
    const unit = document.createElement("span");
    unit.className = "kpi-unit";
    unit.textContent = ` ${options.unit}`;
    big.append(unit);
  }
  body.append(big);
  if (value !== null && previous) {
    const change = ((value - previous) / Math.abs(previous)) * 100;
    const line = document.createElement("p");
    const up = change >= 0;
    const good = options.lower_is_better ? !up : up;
    line.className = `kpi-change ${good ? "kpi-good" : "kpi-bad"}`;
    line.textContent = `${up ? "▲" : "▼"} ${number.format(Math.abs(change))}% ${strings.previous || ""}`;
    body.append(line);
  }
  if (options.target !== undefined && value !== null) {
    const line = document.createElement("p");
    const met = options.lower_is_better ? value <= options.target : value >= options.target;
    line.className = `kpi-target ${met ? "kpi-good" : "kpi-bad"}`;
    line.textContent = `${strings.target || "Target"}: ${formatNumber(options.target)}`;
    body.append(line);
  }
}

function table(body, data, options) {
  const { dims, metrics, label } = shape(data, { ...options, series: undefined });
  const time = dims.find((d) => d.kind === "time");
  const other = dims.find((d) => d.kind !== "time");
  if (time && other && metrics.length) {
    body.replaceChildren(sparklines(data, other, time, metrics[0], label));
    return;
  }
  body.replaceChildren(figures(data, dims, metrics, label, 500));
}

// A row per unit or category: its latest value, its total, and its trend as a small line.
function sparklines(data, other, time, metric, label) {
  const rows = new Map();
  for (const row of data.rows) {
    const key = label(other, row);
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key).push([row[time.i], row[metric.i]]);
  }
  const tableEl = document.createElement("table");
  tableEl.className = "figures sparkline-table";
  const head = tableEl.createTHead().insertRow();
  const lastPeriod = data.rows.reduce((m, r) => (r[time.i] > m ? r[time.i] : m), "");
  for (const [text, numeric] of [
    [(LANG === "en" && other.label_en) || other.label, false],
    [formatTime(lastPeriod, time.grain), true],
    [strings.total || "Total", true],
    ["", false],
  ]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    if (numeric) th.className = "num";
    head.append(th);
  }
  const bodyEl = tableEl.createTBody();
  const ranked = [...rows].sort((a, b) => sum(b[1]) - sum(a[1]));
  for (const [name, points] of ranked) {
    points.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const tr = bodyEl.insertRow();
    tr.insertCell().textContent = name;
    const latest = points.find((p) => p[0] === lastPeriod);
    for (const value of [latest ? latest[1] : null, sum(points)]) {
      const td = tr.insertCell();
      td.className = "num";
      td.textContent = formatNumber(value);
    }
    tr.insertCell().append(spark(points.map((p) => p[1])));
  }
  return tableEl;
}

function sum(points) {
  return points.reduce((total, p) => total + (Number(p[1]) || 0), 0);
}

function spark(values) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 100 24");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("aria-hidden", "true");
  const numbers = values.map((v) => (v === null ? null : Number(v)));
  const present = numbers.filter((v) => v !== null);
  if (present.length < 2) return svg;
  const low = Math.min(...present);
  const high = Math.max(...present);
  const step = 100 / (numbers.length - 1);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", numbers.map((v, i) => (v === null ? null : `${(i * step).toFixed(1)},${(22 - ((v - low) / (high - low || 1)) * 20).toFixed(1)}`)).filter(Boolean).join(" "));
  svg.append(line);
  return svg;
}

function figures(data, dims, metrics, label, limit = 60) {
  const tableEl = document.createElement("table");
  tableEl.className = "figures";
  const head = tableEl.createTHead().insertRow();
  for (const c of [...dims, ...metrics]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = (LANG === "en" && c.label_en) || c.label || c.column || c.name;
    head.append(th);
  }
  const bodyEl = tableEl.createTBody();
  for (const row of data.rows.slice(0, limit)) {
    const tr = bodyEl.insertRow();
    for (const d of dims) tr.insertCell().textContent = label(d, row);
    for (const m of metrics) {
      const td = tr.insertCell();
      td.className = "num";
      td.textContent = formatNumber(row[m.i]);
    }
  }
  return tableEl;
}

function freshness(tile, data) {
  const badge = tile.querySelector("[data-fresh]");
  const f = data.freshness;
  const stale = f.status === "late" || f.status === "missing";
  tile.classList.toggle("tile-stale", stale);
  badge.className = `tile-fresh fresh fresh-${f.status}`;
  const when = f.last_arrival ? new Date(f.last_arrival).toLocaleString(LOCALE, { dateStyle: "short", timeStyle: "short" }) : strings.never;
  badge.textContent = stale ? `${strings.stale}: ${f.label}` : f.label;
  badge.title = `${strings.lastArrived}: ${when}`;
  let note = tile.querySelector(".tile-note");
  const notes = [];
  if (data.ignored_filters?.includes("unit")) notes.push(strings.notByUnit);
  if (stale) notes.push(`${strings.lastArrived}: ${when}`);
  if (notes.length) {
    if (!note) { note = document.createElement("p"); note.className = "tile-note"; tile.querySelector(".tile-head").after(note); }
    note.textContent = notes.join(" · ");
  } else if (note) note.remove();
}

function summarise(data, options, title) {
  const { dims, metrics, label } = shape(data, options);
  if (!data.rows.length) return `${title}: ${strings.noData}`;
  if (!dims.length) return `${title}: ${metrics.map((m) => formatNumber(data.rows[0][m.i])).join(", ")}`;
  const lastRow = data.rows[data.rows.length - 1];
  return `${title}: ${data.rows.length} · ${label(dims[0], data.rows[0])} – ${label(dims[0], lastRow)}`;
}

export function draw(tile, data) {
  const kind = tile.dataset.kind;
  const options = JSON.parse(tile.dataset.options || "{}");
  const body = tile.querySelector("[data-body]");
  const title = tile.querySelector(".tile-title").textContent;
  freshness(tile, data);
  const { dims, metrics, label } = shape(data, { ...options, series: undefined });
  tile.querySelector("[data-table]").replaceChildren(figures(data, dims, metrics, label));
  body.setAttribute("aria-label", summarise(data, options, title));
  if (!data.rows.length) {
    disposeChart(tile);
    body.innerHTML = "";
    const p = document.createElement("p");
    p.className = "tile-empty";
    p.textContent = strings.noData;
    body.append(p);
    return;
  }
  if (kind === "kpi") { disposeChart(tile); kpi(body, data, options); return; }
  if (kind === "table") { disposeChart(tile); table(body, data, options); return; }
  if (kind === "choropleth" && !tile._map) {
    // The polygons first, then the drawing (a failure shows in the tile, as any other).
    const turn = left.get(tile);
    boundaries(unitLevel(data)).then((map) => {
      if (left.get(tile) !== turn) return; // its dashboard left the wall meanwhile
      tile._map = map;
      if (map.demo) tile.querySelector("[data-demo-geometry]")?.removeAttribute("hidden");
      draw(tile, data);
    }).catch((error) => {
      body.replaceChildren(Object.assign(document.createElement("p"), { className: "tile-error", textContent: `${strings.failed} ${error.message}` }));
    });
    return;
  }
  let option;
  if (kind === "choropleth") option = choropleth(data, options, tile._map);
  else if (kind === "pie") option = pie(data, options);
  else if (kind === "gauge") option = gauge(data, options);
  else if (kind === "calendar") option = calendar(data, options, body);
  else option = cartesian(kind, data, options);
  const units = option._units;
  delete option._units;
  let chart = charts.get(tile);
  if (!chart) {
    body.replaceChildren();
    chart = echarts.init(body, null, { renderer: "svg" });
    charts.set(tile, chart);
    chart.on("click", (event) => {
      const unit = event.seriesType === "map"
        ? tile._units?.find((u) => u.code === event.name)
        : tile._units?.[event.dataIndex];
      if (unit?.code) drill(unit.code, unit.level);
    });
  }
  tile._units = units;
  if (units) body.title = strings.filterUnit;
  chart.setOption(themed({ animation: false, aria: { enabled: true }, ...option }), { notMerge: true });
}

export function disposeChart(tile) {
  const chart = charts.get(tile);
  if (chart) { chart.dispose(); charts.delete(tile); }
}

export async function load(tile, first = false) {
  const params = pageParams();
  if (first) params.set("view", "1");
  const body = tile.querySelector("[data-body]");
  const turn = left.get(tile);
  try {
    const response = await fetch(`${tile.dataset.url}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = await response.json().catch(() => ({}));
    if (left.get(tile) !== turn) return;
    if (!response.ok) throw new Error(data.detail || response.statusText);
    tile.classList.remove("tile-failed");
    draw(tile, data);
    const query = pageParams().toString();
    for (const link of tile.querySelectorAll("[data-export-link]")) {
      link.href = `${link.href.split("?")[0]}${query ? `?${query}` : ""}`;
    }
    for (const item of tile.querySelectorAll("[data-image]")) item.hidden = !charts.has(tile);
    tile.dataset.drawn = "1";
  } catch (error) {
    if (left.get(tile) !== turn) return;
    disposeChart(tile);
    tile.classList.add("tile-failed");
    const p = document.createElement("p");
    p.className = "tile-error";
    p.textContent = `${strings.failed} ${error.message}`;
    body.replaceChildren(p);
  }
}

function save(name, url) {
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

// PNG and SVG of a drawn chart (the SVG renderer's own markup; PNG drawn from it at 2x).
export function exportImage(tile, type) {
  const chart = charts.get(tile);
  if (!chart) return;
  const name = tile.id.replace(/^chart-/, "") || "chart";
  const svg = chart.getDataURL({ type: "svg" });
  if (type === "svg") { save(`${name}.svg`, svg); return; }
  const image = new Image();
  image.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = image.width * 2;
    canvas.height = image.height * 2;
    const context = canvas.getContext("2d");
    context.fillStyle = dark() ? "#122233" : "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    save(`${name}.png`, canvas.toDataURL("image/png"));
  };
  image.src = svg;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-export]");
  if (button) exportImage(button.closest(".tile"), button.dataset.export);
});

// A dashboard leaving the wall keeps nothing: its charts disposed, its tables emptied.
export function disposeAll(root = document) {
  disposeMapTiles(root);
  for (const tile of root.querySelectorAll(".tile")) {
    left.set(tile, (left.get(tile) || 0) + 1);
    disposeChart(tile);
    tile.querySelector("[data-table]")?.replaceChildren();
    tile._units = null;
  }
}

export function resizeAll() {
  charts.forEach((c) => c.resize());
}

function unitLevel(data) {
  return (data.columns || []).find((c) => c.kind === "unit")?.level || "commune";
}

function drill(code, level) {
  const url = new URL(window.location.href);
  url.searchParams.set("unit", code);
  if (level && level !== "commune") url.searchParams.set("level", level);
  else url.searchParams.delete("level");
  window.location.assign(url);
}

export function loadAll(first = false, root = document) {
  const tiles = [...root.querySelectorAll(".tile[data-url]")];
  return Promise.all([...tiles.map((tile) => load(tile, first)), loadMapTiles(root)]);
}

