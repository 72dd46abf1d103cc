// Spatial filters on the map page: draw a circle (click the centre, click again at the edge)
// or a polygon (click its corners, double-click or click the first corner to close), or
// click a point to find the nearest features; Escape cancels. What the shown layers hold
// inside the shape (or nearest the point) is listed in the panel and ringed on the map;
// with the time slider on, of the period shown.
import { L, el, getJSON, pointPeriod } from "./maplayers.js";

const LANG = document.documentElement.lang === "en" ? "en" : "vi";
const number = new Intl.NumberFormat(LANG === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 0 });

const tenths = new Intl.NumberFormat(LANG === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 1 });
function distance(metres) {
  return metres < 1000 ? `${number.format(metres)} m` : `${tenths.format(metres / 1000)} km`;
}

// A short line for a row: its first few non-empty fields.
function describe(properties) {
  return Object.entries(properties)
    .filter(([k, v]) => v !== null && v !== "" && k !== "distance_m")
    .slice(0, 3)
    .map(([k, v]) => `${k}: ${typeof v === "number" ? number.format(v) : v}`)
    .join(" · ");
}

export class SpatialTools {
  constructor(iocMap, box, strings, dashboard = "") {
    this.iocMap = iocMap;
    this.map = iocMap.map;
    this.box = box;
    this.strings = strings;
    this.dashboard = dashboard;
    this.drawn = L.layerGroup().addTo(this.map);
    this.mode = null;
    this.handlers = {};
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && this.mode) this.cancel(); });
  }

  start(mode) {
    this.cancel();
    this.mode = mode;
    this.vertices = [];
    this.box.hidden = true; // the last results would cover part of the map being drawn on
    this.map.closePopup();
    this.drawn.clearLayers();
    this.map.getContainer().classList.add("is-drawing");
    this.map.getContainer().dataset.drawing = mode;
    this.map.doubleClickZoom.disable();
    const on = (event, fn) => { this.handlers[event] = fn; this.map.on(event, fn); };
    if (mode === "nearest") {
      on("click", (e) => this.finish({ near: [e.latlng.lng, e.latlng.lat] }, L.circleMarker(e.latlng, { radius: 6, color: "#0b57a4", weight: 3, fillOpacity: 1, fillColor: "#fff" })));
    } else if (mode === "circle") {
      on("click", (e) => {
        if (!this.preview) { this.centre = e.latlng; this.preview = L.circle(e.latlng, { radius: 1, color: "#0b57a4", weight: 2, dashArray: "6 4", fillOpacity: 0.08 }).addTo(this.drawn); return; }
        const radius = Math.max(1, this.map.distance(this.centre, e.latlng));
        const shape = { type: "Circle", coordinates: [this.centre.lng, this.centre.lat], radius };
        this.finish(shape, L.circle(this.centre, { radius, color: "#0b57a4", weight: 2, fillOpacity: 0.08 }));
      });
      on("mousemove", (e) => this.preview?.setRadius(this.map.distance(this.centre, e.latlng)));
    } else if (mode === "polygon") {
      const close = () => {
        const ring = this.vertices.map((p) => [p.lng, p.lat]);
        if (ring.length < 3) return;
        this.finish({ type: "Polygon", coordinates: [[...ring, ring[0]]] }, L.polygon(this.vertices, { color: "#0b57a4", weight: 2, fillOpacity: 0.08 }));
      };
      on("click", (e) => {
        const first = this.vertices[0];
        if (first && this.vertices.length >= 3 && this.map.latLngToContainerPoint(first).distanceTo(e.containerPoint) < 10) { close(); return; }
        const last = this.vertices[this.vertices.length - 1];
        if (last && this.map.latLngToContainerPoint(last).distanceTo(e.containerPoint) < 3) return; // a double-click's clicks
        this.vertices.push(e.latlng);
        if (!this.preview) this.preview = L.polyline([], { color: "#0b57a4", weight: 2, dashArray: "6 4" }).addTo(this.drawn);
        this.preview.setLatLngs(this.vertices);
      });
      on("mousemove", (e) => { if (this.preview && this.vertices.length) this.preview.setLatLngs([...this.vertices, e.latlng]); });
      on("dblclick", close);
    }
  }

  cancel() {
    for (const [event, fn] of Object.entries(this.handlers)) this.map.off(event, fn);
    this.handlers = {};
    if (this.preview) { this.preview.remove(); this.preview = null; }
    this.mode = null;
    this.map.getContainer().classList.remove("is-drawing");
    delete this.map.getContainer().dataset.drawing;
    this.map.doubleClickZoom.enable();
    this.box.dispatchEvent(new CustomEvent("tool-changed"));
  }

  clear() {
    this.cancel();
    this.drawn.clearLayers();
    this.box.replaceChildren();
    this.box.hidden = true;
  }

  async finish(shape, outline) {
    this.cancel();
    this.drawn.clearLayers();
    outline.addTo(this.drawn);
    this.last = shape;
    await this.run(shape);
  }

  // Ask every shown layer what it has inside the shape (or nearest the point); list it.
  async run(shape) {
    // What operators act on first, then rows, then units.
    const order = { operational: 0, points: 1, choropleth: 2, boundaries: 3 };
    const layers = this.iocMap.selectable()
      .filter((l) => !shape.near || l.kind === "points")
      .sort((a, b) => order[a.kind] - order[b.kind]);
    this.box.hidden = false;
    const close = el("button", { type: "button", class: "map-selection-close", "aria-label": this.strings.close, text: "✕" });
    close.addEventListener("click", () => this.clear());
    this.box.replaceChildren(el("div", { class: "map-selection-head" }, el("h2", { text: shape.near ? this.strings.nearest_title : this.strings.selection_title }), close));
    if (!layers.length) { this.box.append(el("p", { text: shape.near ? this.strings.no_point_layers : this.strings.no_layers })); return; }
    // With the time slider on, the shown period's rows only.
    const period = (layer) => (layer.kind === "points" && layer.timed ? pointPeriod(this.iocMap.period) : {});
    const sections = await Promise.all(layers.map(async (layer) => {
      try {
        if (shape.near) {
          const [lon, lat] = shape.near;
          const query = new URLSearchParams({ lon, lat, limit: "5", ...period(layer) });
          const data = await getJSON(`/api/maps/nearest/${encodeURIComponent(layer.dataset)}?${query}`);
          return this.section(layer, data, data.features.length, shape);
        }
        const query = new URLSearchParams({ layer: layer.id, shape: JSON.stringify(shape), limit: "100", ...period(layer) });
        const data = await getJSON(`/api/maps/select?${query}`);
        return this.section(layer, data, data.numberMatched, shape);
      } catch (error) {
        return el("section", { class: "map-selection-layer", "data-error": error.message }, el("h3", { text: layer.title }), el("p", { class: "form-error", text: error.message }));
      }
    }));
    this.box.append(...sections);
    this.box.dispatchEvent(new CustomEvent("selection-done"));
  }

  section(layer, data, count, shape) {
    const list = el("ol", { class: "map-selection-list" });
    const ring = { radius: 9, color: "#f2a900", weight: 3, fill: false };
    if (data.units) {
      for (const unit of data.units.slice(0, 12)) {
        const item = el("li", {}, el("span", { text: `${unit.name} (${unit.code})` }));
        if (this.dashboard && unit.level === 3) item.append(" ", el("a", { href: `${this.dashboard}?unit=${encodeURIComponent(unit.code)}`, text: this.strings.open_dashboard }));
        list.append(item);
      }
    }
    for (const feature of data.features.slice(0, 20)) {
      const [lon, lat] = feature.geometry.coordinates;
      const p = feature.properties;
      let text = layer.kind === "operational" ? `${p.name}: ${p.count}` : describe(p);
      if (p.distance_m !== undefined) text = `${distance(p.distance_m)} · ${text}`;
      list.append(el("li", { text }));
      L.circleMarker([lat, lon], ring).addTo(this.drawn);
      if (shape.near) L.polyline([[shape.near[1], shape.near[0]], [lat, lon]], { color: "#f2a900", weight: 2, dashArray: "4 4" }).addTo(this.drawn);
    }
    const more = count > list.children.length ? el("p", { class: "muted", text: this.strings.and_more.replace("%(n)s", number.format(count - list.children.length)) }) : "";
    return el("section", { class: "map-selection-layer", "data-selection-layer": layer.id, "data-count": String(count) },
      el("h3", {}, el("span", { text: layer.title }), " ", el("span", { class: "map-count", text: number.format(count) })),
      list, more);
  }
}
