// Map tiles on dashboards and the wall: a saved map (the tile's options.map) or the communes,
// redrawn with fresh data on live updates while keeping the view the operator left it at.
import { IocMap } from "./maplayers.js";

const mounted = new Map(); // element -> IocMap
const config = () => JSON.parse(document.getElementById("map-config")?.textContent || "{}");

async function mount(element) {
  // Each map draws in a box of its own that goes with it: Leaflet 1.9's remove() leaves a
  // "scroll" listener on the map's container that holds the whole removed map (its layers,
  // controls, polygons), so maps made anew in the same tile, each turn of the wall, would all
  // be kept.
  const box = document.createElement("div");
  box.style.cssText = "position: absolute; inset: 0;";
  element.replaceChildren(box);
  const map = new IocMap(box, { tiles: config().tiles, attribution: config().attribution });
  mounted.set(element, map);
  await map.load();
  if (map.disposed) return;
  const slug = element.dataset.mapTile;
  if (slug) {
    const response = await fetch(`/api/maps/saved/${encodeURIComponent(slug)}`, { credentials: "same-origin" });
    if (response.ok && !map.disposed) { await map.apply(await response.json()); return; }
  }
  if (!map.disposed) await map.show("boundaries:3");
}

// All the tiles under root; with a dataset, only the mounted maps that show it are refreshed.
export async function loadMapTiles(root = document, dataset = null) {
  const jobs = [];
  for (const element of root.querySelectorAll("[data-map-tile]")) {
    const map = mounted.get(element);
    if (map && dataset && !map.uses(dataset)) continue;
    jobs.push((map ? map.refresh() : mount(element)).catch((error) => {
      element.dataset.error = error.message;
    }));
  }
  await Promise.all(jobs);
}

export function disposeMapTiles(root = document) {
  for (const element of root.querySelectorAll("[data-map-tile]")) {
    const map = mounted.get(element);
    if (!map) continue;
    map.dispose();
    map.element.remove();
    mounted.delete(element);
  }
}
