// The digital map: Leaflet with the province's boundaries as vector shapes (no tile server
// needed), a tile layer only when one is configured, and layers from the catalogue
// (/api/maps/layers): points of any dataset with coordinates (clustered, or a heatmap),
// choropleths of any measure by commune (through the semantic layer), boundaries by level.
// Used by the map page and by map tiles on dashboards and the wall.
import L from "./leaflet-global.js";
import "leaflet.markercluster";
import "leaflet.heat";

const LANG = document.documentElement.lang === "en" ? "en" : "vi";
const number = new Intl.NumberFormat(LANG === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 2 });
const OPERATIONAL_REFRESH_MS = 60_000;
const RAMP = ["#e8f1fa", "#b9d3ec", "#7fb0dc", "#4a88c7", "#1f62a8", "#0b3d73"];

export async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

// A DOM element with attributes (text: its text) and children.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children);
  return node;
}

function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function popup(properties) {
  const rows = Object.entries(properties)
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(typeof v === "number" ? number.format(v) : v)}</td></tr>`);
  return `<table class="map-popup">${rows.join("")}</table>`;
}

// A period's end is exclusive (as the semantic layer's); the points API's is inclusive.
export function pointPeriod(period) {
  const out = {};
  if (period?.start) out.start = period.start;
  if (period?.end) out.end = new Date(Date.parse(`${period.end.slice(0, 10)}T00:00:00Z`) - 1000).toISOString().slice(0, 19);
  return out;
}

export function colour(value, min, max) {
  if (value === null || value === undefined || max <= min) return value === undefined ? null : RAMP[3];
  const step = Math.min(RAMP.length - 1, Math.floor(((value - min) / (max - min)) * RAMP.length));
  return RAMP[step];
}

export class IocMap {
  constructor(element, { tiles = "", attribution = "", interactive = true, onUnit = null } = {}) {
    this.element = element;
    this.onUnit = onUnit;
    this.map = L.map(element, {
      preferCanvas: true,
      zoomControl: interactive,
      attributionControl: true,
      dragging: interactive,
      scrollWheelZoom: interactive,
      zoomSnap: 0.25,
      minZoom: 5,
      maxZoom: 19, // markercluster needs it, with or without tiles
    });
    if (tiles) L.tileLayer(tiles, { attribution, maxZoom: 19 }).addTo(this.map);
    this.layers = new Map(); // id -> { leaflet, settings, legend }
    this.catalogue = [];
    this.fitted = false;
    // Operational layers (events, connections' health) have no dataset event: redrawn each minute.
    this.ticker = setInterval(() => this.refresh("operational"), OPERATIONAL_REFRESH_MS);
  }

  async load() {
    this.catalogue = await getJSON("/api/maps/layers");
    return this.catalogue;
  }

  find(id) {
    return this.catalogue.find((l) => l.id === id);
  }

  // Show a layer with its settings ({opacity, measure, agg, last, heat}); replaces it if shown.
  async show(id, settings = {}) {
    const layer = this.find(id);
    if (!layer || this.disposed) return null;
    this.hide(id);
    const entry = { settings: { opacity: 0.7, ...settings }, legend: null };
    if (layer.timed && this.period && !settings.start && !settings.end) Object.assign(entry.settings, this.period);
    this.layers.set(id, entry);
    if (layer.kind === "boundaries") entry.leaflet = await this.boundaries(layer, entry.settings);
    else if (layer.kind === "choropleth") entry.leaflet = await this.choropleth(layer, entry);
    else if (layer.kind === "points") entry.leaflet = await this.points(layer, entry.settings);
    else if (layer.kind === "operational") entry.leaflet = await this.operational(layer, entry);
    if (this.layers.get(id) !== entry || this.disposed) return null; // hidden or gone meanwhile
    entry.leaflet.addTo(this.map);
    if (!this.fitted && entry.leaflet.getBounds) {
      const bounds = entry.leaflet.getBounds();
      if (bounds.isValid()) { this.map.fitBounds(bounds, { padding: [8, 8] }); this.fitted = true; }
    }
    this.element.dispatchEvent(new CustomEvent("layers-changed"));
    return entry;
  }

  hide(id) {
    const entry = this.layers.get(id);
    if (entry?.leaflet) entry.leaflet.remove();
    this.layers.delete(id);
    this.element.dispatchEvent(new CustomEvent("layers-changed"));
  }

  setOpacity(id, opacity) {
    const entry = this.layers.get(id);
    if (!entry) return;
    entry.settings.opacity = opacity;
    const leaflet = entry.leaflet;
    if (leaflet.setStyle) leaflet.setStyle({ fillOpacity: opacity, opacity: Math.min(1, opacity + 0.2) });
    else if (leaflet.setOptions) leaflet.setOptions({ minOpacity: opacity * 0.6 });
    else if (leaflet.getPane?.()) leaflet.getPane().style.opacity = opacity;
  }

  async boundaries(layer, settings) {
    const data = await getJSON(`/api/maps/boundaries/${layer.level}?simplify=0.0002`);
    this.demo = this.demo || data.features.some((f) => f.properties.demo);
    const weight = layer.level === 3 ? 1 : 2.5;
    return L.geoJSON(data, {
      style: { color: "#0b57a4", weight, fillColor: "#8fb9e3", fillOpacity: layer.level === 3 ? settings.opacity * 0.35 : 0, opacity: 0.9 },
      onEachFeature: (feature, shape) => {
        shape.bindTooltip(`${escape(feature.properties.name)} (${escape(feature.properties.code)})`, { sticky: true });
        if (this.onUnit) shape.on("click", () => this.onUnit(feature.properties));
      },
    });
  }

  async choropleth(layer, entry) {
    const s = entry.settings;
    const measure = s.measure || layer.measures[0]?.name;
    s.measure = measure;
    const params = new URLSearchParams({ measure, agg: s.agg || "sum" });
    if (s.start || s.end) {
      if (s.start) params.set("start", s.start);
      if (s.end) params.set("end", s.end);
    } else params.set("last", s.last || "12 months");
    const [shapes, values] = await Promise.all([
      getJSON("/api/maps/boundaries/3?simplify=0.0002"),
      getJSON(`/api/maps/choropleth/${layer.dataset}?${params}`),
    ]);
    this.demo = this.demo || shapes.features.some((f) => f.properties.demo);
    const { min, max } = values;
    entry.legend = { title: `${layer.title}: ${values.label || measure}`, min, max, ramp: RAMP, rollup: values.rollup, freshness: values.freshness };
    return L.geoJSON(shapes, {
      style: (feature) => {
        const value = values.values[feature.properties.code];
        return {
          color: "#ffffff",
          weight: 1,
          fillColor: colour(value, min, max) || "#d6dbe0",
          fillOpacity: s.opacity,
          opacity: 1,
        };
      },
      onEachFeature: (feature, shape) => {
        const value = values.values[feature.properties.code];
        shape.feature.properties.value = value;
        shape.bindTooltip(`${escape(feature.properties.name)}: ${value === undefined ? "—" : number.format(value)}`, { sticky: true });
        if (this.onUnit) shape.on("click", () => this.onUnit(feature.properties));
      },
    });
  }

  async points(layer, settings) {
    const params = new URLSearchParams({ limit: "10000" });
    for (const [k, v] of Object.entries(pointPeriod(settings))) params.set(k, v);
    let offset = 0;
    const features = [];
    // Pages of 10,000 until the layer is whole (up to 200,000 points).
    for (;;) {
      if (this.disposed) break;
      params.set("offset", String(offset));
      const page = await getJSON(`/api/maps/points/${layer.dataset}?${params}`);
      features.push(...page.features);
      offset += page.numberReturned;
      if (!page.numberReturned || offset >= page.numberMatched || offset >= 200000) break;
    }
    if (settings.heat) {
      const heat = L.heatLayer(features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0], 1]), {
        radius: 18, blur: 20, minOpacity: settings.opacity * 0.6,
      });
      heat.getBounds = () => L.latLngBounds(features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]));
      return heat;
    }
    const cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50 });
    const markers = features.map((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const marker = L.circleMarker([lat, lon], { radius: 6, color: "#ffffff", weight: 1, fillColor: "#cc3f7a", fillOpacity: 0.9 });
      marker.bindPopup(() => popup(f.properties));
      return marker;
    });
    // Markers go in once the group is on the map: added before, markercluster compares each
    // with every queued one (120,000 points took 10 s; benchmarks/maps.py).
    cluster.once("add", () => cluster.addLayers(markers));
    return cluster;
  }

  // Operational items by unit (events, connections' health): one marker per unit, coloured by
  // the worst status there, with the count; the popup lists the items with links.
  async operational(layer, entry) {
    const name = layer.id.split(":")[1];
    const data = await getJSON(`/api/maps/operational/${encodeURIComponent(name)}`);
    const colours = Object.fromEntries(layer.legend.map((s) => [s.code, s.colour]));
    const labels = Object.fromEntries(layer.legend.map((s) => [s.code, s.label]));
    entry.legend = { title: layer.title, swatches: layer.legend };
    const group = L.geoJSON(data, {
      pointToLayer: (feature, latlng) => {
        const p = feature.properties;
        const icon = L.divIcon({
          className: "ops-marker",
          html: `<span style="background:${colours[p.worst] || "#7d8790"}" title="${escape(labels[p.worst] || p.worst)}">${p.count}</span>`,
          iconSize: [30, 30],
        });
        return L.marker(latlng, { icon, opacity: entry.settings.opacity < 0.3 ? 0.3 : 1, keyboard: true, title: `${p.name}: ${p.count}` });
      },
      onEachFeature: (feature, marker) => {
        const p = feature.properties;
        const rows = p.items.map((i) => `<li><span class="ops-dot" style="background:${colours[i.status] || "#7d8790"}"></span><a href="${escape(i.link)}">${escape(i.title)}</a> <small>${escape(labels[i.status] || i.status)}</small></li>`);
        const more = p.count > p.items.length ? `<li>… ${p.count - p.items.length}</li>` : "";
        marker.bindPopup(`<strong>${escape(p.name)}</strong><ul class="ops-items">${rows.join("")}${more}</ul>`);
      },
    });
    return group;
  }

  // The period shown by layers whose rows have a time (the time slider); null shows all.
  async setPeriod(period) {
    this.period = period;
    const jobs = [];
    for (const [id, entry] of [...this.layers]) {
      if (!this.find(id)?.timed) continue;
      const settings = { ...entry.settings, start: period?.start, end: period?.end };
      if (!period) { delete settings.start; delete settings.end; }
      jobs.push(this.show(id, settings));
    }
    await Promise.all(jobs);
  }

  // Layers on the map that a drawn shape or a nearest search can ask about.
  selectable() {
    return [...this.layers.keys()].map((id) => this.find(id)).filter(Boolean);
  }

  // Gone from the page (a wall slide left): drop everything, and let loads in flight stop.
  dispose() {
    this.disposed = true;
    clearInterval(this.ticker);
    this.layers.clear();
    this.catalogue = [];
    this.map.remove();
  }

  uses(dataset) {
    return [...this.layers.keys()].some((id) => this.find(id)?.dataset === dataset);
  }

  view() {
    const c = this.map.getCenter();
    return { center_lat: c.lat, center_lon: c.lng, zoom: this.map.getZoom() };
  }

  settings() {
    // The replayed period is the moment's, not the map's: it is not saved.
    return [...this.layers].map(([id, entry]) => {
      const { start, end, ...settings } = entry.settings;
      return { id, visible: true, ...settings };
    });
  }

  // A saved map: its layers in order, then its view (kept across data refreshes).
  async apply(saved) {
    for (const item of saved.layers || []) {
      if (item.visible !== false) await this.show(item.id, item);
    }
    if (!this.disposed && saved.center_lat != null && saved.zoom != null) {
      this.map.setView([saved.center_lat, saved.center_lon], saved.zoom);
      this.fitted = true;
    }
  }

  // Redraw the data layers (of one kind when given) with fresh data, keeping the view.
  async refresh(kind = null) {
    const due = [...this.layers].filter(([id]) => {
      const found = this.find(id)?.kind;
      return found && found !== "boundaries" && (!kind || found === kind);
    });
    if (!due.length || this.disposed) return;
    const view = this.view();
    for (const [id, entry] of due) await this.show(id, entry.settings);
    if (!this.disposed) this.map.setView([view.center_lat, view.center_lon], view.zoom, { animate: false });
  }
}

export { L };
