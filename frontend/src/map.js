// The map page (/ioc/map/): the layer catalogue with toggles, opacity and the measure of each
// choropleth, legends, a point layer as clusters or a heatmap, operational layers (events,
// connections' health), a click on a commune that opens the overview dashboard filtered to
// it, the selection tools (mapselect.js), the time slider (maptime.js), and "save this map".
import { IocMap, el } from "./maplayers.js";
import { SpatialTools } from "./mapselect.js";
import { timeBar } from "./maptime.js";

const strings = JSON.parse(document.getElementById("map-strings")?.textContent || "{}");
const config = JSON.parse(document.getElementById("map-config")?.textContent || "{}");
const dashboard = JSON.parse(document.getElementById("map-dashboard")?.textContent || '""');

function legend(map, box) {
  box.replaceChildren();
  for (const [id, entry] of map.layers) {
    if (!entry.legend) continue;
    if (entry.legend.swatches) {
      box.append(el("div", { class: "map-legend-item", "data-legend": id },
        el("strong", { text: entry.legend.title }),
        el("ul", { class: "map-swatches" }, ...entry.legend.swatches.map((s) => el("li", {}, el("span", { class: "ops-dot", style: `background:${s.colour}` }), el("span", { text: s.label }))))));
      continue;
    }
    const { title, min, max, ramp, rollup, freshness } = entry.legend;
    const fmt = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "vi-VN", { maximumFractionDigits: 1 });
    box.append(el("div", { class: "map-legend-item", "data-legend": id },
      el("strong", { text: title }),
      el("div", { class: "map-ramp" }, ...ramp.map((c) => el("span", { style: `background:${c}` }))),
      el("div", { class: "map-ramp-labels" }, el("span", { text: min == null ? "—" : fmt.format(min) }), el("span", { text: max == null ? "—" : fmt.format(max) })),
      el("small", { text: `${freshness?.label || ""}${rollup ? ` · ${strings.rollup}` : ""}` })));
  }
  box.hidden = !box.children.length;
}

function panel(map, root) {
  const list = root.querySelector("[data-layer-list]");
  list.replaceChildren();
  const groups = { operational: strings.operational, boundaries: strings.boundaries, choropleth: strings.choropleth, points: strings.points };
  for (const [kind, heading] of Object.entries(groups)) {
    const layers = map.catalogue.filter((l) => l.kind === kind);
    if (!layers.length) continue;
    const group = el("fieldset", { class: "map-group" }, el("legend", { text: heading }));
    for (const layer of layers) {
      const id = `layer-${layer.id.replace(/[^a-z0-9]/gi, "-")}`;
      const toggle = el("input", { type: "checkbox", id, "data-layer": layer.id });
      const row = el("div", { class: "map-layer" }, toggle, el("label", { for: id, text: layer.title }));
      const extra = el("div", { class: "map-layer-settings", hidden: true });
      const opacity = el("input", { type: "range", min: "0.1", max: "1", step: "0.1", value: "0.7", "aria-label": `${strings.opacity}: ${layer.title}` });
      extra.append(el("label", { class: "map-opacity" }, el("span", { text: strings.opacity }), opacity));
      let measure = null;
      let heat = null;
      if (layer.kind === "choropleth" && layer.measures.length) {
        measure = el("select", { "aria-label": `${strings.measure}: ${layer.title}` }, ...layer.measures.map((m) => el("option", { value: m.name, text: m.label })));
        extra.append(measure);
      }
      if (layer.kind === "points") {
        heat = el("input", { type: "checkbox" });
        extra.append(el("label", {}, heat, el("span", { text: ` ${strings.heatmap}` })));
      }
      const settings = () => ({ opacity: Number(opacity.value), measure: measure?.value, heat: heat?.checked });
      const redraw = async () => {
        if (!toggle.checked) { map.hide(layer.id); extra.hidden = true; return; }
        extra.hidden = false;
        row.classList.add("is-loading");
        try { await map.show(layer.id, settings()); } catch (error) { row.dataset.error = error.message; toggle.checked = false; }
        row.classList.remove("is-loading");
      };
      toggle.addEventListener("change", redraw);
      measure?.addEventListener("change", redraw);
      heat?.addEventListener("change", redraw);
      opacity.addEventListener("input", () => map.setOpacity(layer.id, Number(opacity.value)));
      row.append(extra);
      group.append(row);
      layer._sync = (s) => {
        toggle.checked = true;
        extra.hidden = false;
        if (s.opacity) opacity.value = s.opacity;
        if (measure && s.measure) measure.value = s.measure;
        if (heat) heat.checked = !!s.heat;
      };
    }
    list.append(group);
  }
}

async function start() {
  const root = document.querySelector("[data-map-page]");
  if (!root) return;
  const element = root.querySelector("[data-map]");
  const info = root.querySelector("[data-unit-info]");
  let tools = null;
  const map = new IocMap(element, {
    tiles: config.tiles,
    attribution: config.attribution,
    onUnit: (unit) => {
      if (tools?.mode) return; // a click that draws a shape is not a click on the commune
      info.hidden = false;
      info.querySelector("[data-unit-name]").textContent = `${unit.name} (${unit.code})`;
      const link = info.querySelector("[data-unit-link]");
      if (link) link.href = `${dashboard}?unit=${encodeURIComponent(unit.code)}`;
      const value = unit.value;
      info.querySelector("[data-unit-value]").textContent = value === undefined ? "" : new Intl.NumberFormat("vi-VN").format(value);
    },
  });
  await map.load();
  panel(map, root);
  const legendBox = root.querySelector("[data-legend]");
  element.addEventListener("layers-changed", () => {
    legend(map, legendBox);
    root.querySelector("[data-demo-geometry]").hidden = !map.demo;
  });
  const saved = JSON.parse(document.getElementById("saved-map")?.textContent || "null");
  if (saved) {
    await map.apply(saved);
    for (const item of saved.layers) map.find(item.id)?._sync?.(item);
  } else {
    const first = map.catalogue.find((l) => l.id === "boundaries:3") || map.catalogue[0];
    if (first) { await map.show(first.id); first._sync?.({}); }
  }
  tools = new SpatialTools(map, root.querySelector("[data-selection]"), strings, dashboard);
  const buttons = root.querySelectorAll("[data-tool]");
  for (const button of buttons) {
    button.addEventListener("click", () => {
      const mode = button.dataset.tool;
      if (mode === "clear") tools.clear();
      else if (tools.mode === mode) tools.cancel();
      else tools.start(mode);
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.tool === tools.mode));
      root.querySelector("[data-tool-hint]").textContent = tools.mode ? strings[`hint_${tools.mode}`] : "";
    });
  }
  root.querySelector("[data-selection]").addEventListener("tool-changed", () => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.tool === tools.mode));
    root.querySelector("[data-tool-hint]").textContent = tools.mode ? strings[`hint_${tools.mode}`] : "";
  });
  timeBar(root.querySelector("[data-time]"), map, strings);
  root.querySelector("[data-save-map]")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const slug = form.elements.slug.value.trim();
    const status = form.querySelector("[data-save-status]");
    const response = await fetch(`/api/maps/saved/${encodeURIComponent(slug)}`, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
      body: JSON.stringify({ name: form.elements.name.value || slug, layers: map.settings(), ...map.view() }),
    });
    const data = await response.json().catch(() => ({}));
    status.textContent = response.ok ? strings.saved : `${strings.failed} ${data.detail || response.statusText}`;
  });
  document.body.setAttribute("data-map-ready", "1");
  window.iocMap = map;
  window.iocMapTools = tools;
}

document.addEventListener("DOMContentLoaded", start);
