// The map pin of the citizens' report form (/feedback/new/ and the hotline form): tap the map
// or drag the pin, or "use my location"; the pin fills the hidden lat/lon inputs. The
// boundaries are drawn as shapes, so it works on a closed network with no tile server. Pages
// that show one report's place use [data-pin-show] (read-only).
import L from "leaflet";

const config = JSON.parse(document.getElementById("map-config")?.textContent || "{}");

function baseMap(element, interactive = true) {
  const map = L.map(element, { zoomSnap: 0.25, minZoom: 5, maxZoom: 19, dragging: interactive, scrollWheelZoom: false });
  if (config.tiles) L.tileLayer(config.tiles, { attribution: config.attribution || "", maxZoom: 19 }).addTo(map);
  return map;
}

async function drawCommunes(map) {
  const response = await fetch("/api/maps/boundaries/3?simplify=0.0005");
  if (!response.ok) return null;
  const shapes = L.geoJSON(await response.json(), {
    style: { color: "#0b57a4", weight: 1, fillColor: "#dbe8f5", fillOpacity: 0.35 },
    interactive: false,
  }).addTo(map);
  return shapes.getBounds();
}

const icon = L.divIcon({ className: "report-pin", html: "<span></span>", iconSize: [28, 28], iconAnchor: [14, 28] });

async function pinForm(element) {
  const form = element.closest("form");
  const lat = form.querySelector("input[name=lat]");
  const lon = form.querySelector("input[name=lon]");
  const status = element.parentElement.querySelector("[data-pin-status]");
  let marker = null;
  const map = baseMap(element);
  const place = (latlng, pan = false) => {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, icon, keyboard: true }).addTo(map);
      marker.on("dragend", () => place(marker.getLatLng()));
    } else marker.setLatLng(latlng);
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (status) status.textContent = `${status.dataset.placed} ${lat.value}, ${lon.value}`;
    if (pan) map.setView(latlng, Math.max(map.getZoom(), 16));
    element.dataset.pinned = "1";
  };
  map.on("click", (event) => place(event.latlng));
  map.setView([10.98, 106.65], 10);
  if (lat.value && lon.value) place(L.latLng(Number(lat.value), Number(lon.value)), true);
  const bounds = await drawCommunes(map);
  if (bounds?.isValid() && !marker) map.fitBounds(bounds);
  const locate = element.parentElement.querySelector("[data-pin-locate]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", () => {
      navigator.geolocation.getCurrentPosition(
        (pos) => place(L.latLng(pos.coords.latitude, pos.coords.longitude), true),
        () => { if (status) status.textContent = status.dataset.nolocation; },
        { enableHighAccuracy: true, timeout: 10000 },
      );
    });
  }
  element.iocMap = map;
}

async function pinShow(element) {
  const point = [Number(element.dataset.lat), Number(element.dataset.lon)];
  const map = baseMap(element, false);
  await drawCommunes(map);
  L.marker(point, { icon, interactive: false }).addTo(map);
  map.setView(point, 15);
}

for (const element of document.querySelectorAll("[data-pin-map]")) pinForm(element);
for (const element of document.querySelectorAll("[data-pin-show]")) pinShow(element);

// The extra questions of the chosen category only (the others are disabled: not sent).
for (const select of document.querySelectorAll("form select[name=category]")) {
  const sync = () => {
    for (const box of select.form.querySelectorAll("[data-for-category]")) {
      const on = box.dataset.forCategory === select.value;
      box.hidden = !on;
      box.disabled = !on;
    }
  };
  select.addEventListener("change", sync);
  sync();
}

// The public map of reports (/feedback/map/): clustered pins coloured by status, each linked
// to its public page; the filters reload the points.
const STATUS_COLOUR = { resolved: "#2e7d32", closed: "#2e7d32", rejected: "#7d8790" };
const el = (tag, attrs = {}, text = "") => Object.assign(document.createElement(tag), attrs, { textContent: text });

async function reportsMap(element) {
  const map = baseMap(element);
  map.setView([10.98, 106.65], 10);
  const bounds = await drawCommunes(map);
  if (bounds?.isValid()) map.fitBounds(bounds);
  const layer = L.layerGroup().addTo(map);
  const form = document.querySelector("[data-reports-filters]");
  const count = document.querySelector("[data-reports-count]");
  const load = async () => {
    const query = new URLSearchParams(new FormData(form));
    const response = await fetch(`/feedback/map.geojson?${query}`);
    const data = await response.json();
    layer.clearLayers();
    for (const f of data.features) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const colour = STATUS_COLOUR[p.status] || "#c25b00";
      const popup = el("div");
      popup.append(el("strong", {}, `#${p.id} ${p.category}`), el("br"), el("span", {}, `${p.status_label} · ${p.received}`), el("br"),
        el("a", { href: p.link }, element.dataset.more));
      L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.9 })
        .bindPopup(popup).addTo(layer);
    }
    if (count) count.textContent = `${data.features.length} ${element.dataset.count}`;
    element.dataset.loaded = String(data.features.length);
  };
  form?.addEventListener("change", load);
  await load();
  element.iocMap = map;
}

for (const element of document.querySelectorAll("[data-reports-map]")) reportsMap(element);
