// Cameras: the snapshot grid, one camera's live video (hls.js) and the camera wall.
// Frames come from signed addresses that expire (IOC_CAMERA_URL_SECONDS): the page asks for
// fresh ones every half lifetime, and hls.js's requests are rewritten to the newest token.
import Hls from "hls.js";

// Times in the province's zone, whatever the screen's computer is set to.
const clockTime = (date = new Date()) =>
  date.toLocaleTimeString("vi-VN", { timeZone: config().tz || undefined, hour12: false });
const config = () => JSON.parse(document.getElementById("camera-config")?.textContent || "{}");
const tokens = new Map(); // camera id -> {frame}

async function renew(ids) {
  if (!ids.length) return;
  const response = await fetch(`${config().grants}?ids=${ids.join(",")}`, { credentials: "same-origin" });
  if (!response.ok) return;
  const data = await response.json();
  for (const [id, info] of Object.entries(data.cameras)) tokens.set(id, info);
  for (const tile of document.querySelectorAll("[data-camera]")) {
    const info = tokens.get(tile.dataset.camera);
    if (!info) continue;
    tile.dataset.status = info.status;
    const label = tile.querySelector("[data-status-label]");
    if (label) label.textContent = info.status_label;
  }
}

function refreshFrame(tile) {
  const info = tokens.get(tile.dataset.camera);
  const img = tile.querySelector("img[data-frame]");
  if (!info || !img) return;
  const next = new Image();
  next.onload = () => {
    img.src = next.src;
    img.hidden = false;
    tile.dataset.frameState = "ok";
    // An offline camera's picture is its last frame: say when that was, not now.
    const offline = tile.dataset.status === "offline" && info.last_frame_at;
    const at = offline ? new Date(info.last_frame_at) : new Date();
    tile.querySelector("[data-frame-time]")?.replaceChildren(clockTime(at));
  };
  next.onerror = () => {
    tile.dataset.frameState = "error";
    renewSoon(); // the status (offline, and why) comes with the addresses
  };
  next.src = `${info.frame}?t=${Date.now()}`;
}

let renewTimer = null;
function renewSoon() {
  if (renewTimer) return;
  renewTimer = setTimeout(() => {
    renewTimer = null;
    renew(visibleTiles().map((t) => t.dataset.camera));
  }, 1000);
}

function visibleTiles() {
  return [...document.querySelectorAll("[data-camera]")].filter((t) => !t.hidden);
}

function keepFresh() {
  const ids = () => visibleTiles().map((t) => t.dataset.camera);
  setInterval(() => visibleTiles().forEach(refreshFrame), config().refresh * 1000);
  setInterval(() => renew(ids()), config().renew * 1000);
}

async function startGrid() {
  await renew(visibleTiles().map((t) => t.dataset.camera));
  visibleTiles().forEach(refreshFrame);
  keepFresh();
  document.body.dataset.camerasReady = "1";
}

// The wall: `layout` tiles at a time; with more cameras, a tour turns the page of tiles.
async function startTour() {
  const wall = document.querySelector("[data-camera-wall]");
  const per = Number(wall.dataset.layout);
  const tiles = [...wall.querySelectorAll("[data-camera]")];
  const pages = Math.max(1, Math.ceil(tiles.length / per));
  let page = 0;
  const show = async () => {
    tiles.forEach((t, i) => { t.hidden = Math.floor(i / per) !== page; });
    wall.dataset.page = String(page);
    if (wall.dataset.liveWall) liveTiles(wall);
    const counter = document.querySelector("[data-tour-page]");
    if (counter) counter.textContent = pages > 1 ? `${page + 1} / ${pages}` : "";
    await renew(visibleTiles().map((t) => t.dataset.camera));
    visibleTiles().forEach(refreshFrame);
  };
  await show();
  keepFresh();
  const clock = document.querySelector("[data-wall-clock]");
  const tick = () => { if (clock) clock.textContent = clockTime(); };
  tick();
  setInterval(tick, 1000);
  if (pages > 1) setInterval(() => { page = (page + 1) % pages; show(); }, Number(wall.dataset.tour) * 1000);
  document.body.dataset.camerasReady = "1";
}

const csrf = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";

// Live video into `box` (a <video> inside it; an <img> for MJPEG-only cameras). The page asks
// the server to start (or join) the relay, then renews its signed address every half lifetime
// while it plays; `stop()` ends it (hls.js destroyed, no more renewals).
function play(box, liveUrl, { onPlaying = () => {}, onFailed = () => {} } = {}) {
  let current = null;
  let renewal = null;
  let hls = null;
  let stopped = false;
  const ask = async () => {
    const response = await fetch(liveUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() },
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    current = data;
    return data;
  };
  const start = async () => {
    const first = await ask();
    if (stopped) return;
    renewal = setInterval(() => ask().catch((e) => onFailed(e.message)), Math.max(5, first.seconds / 2) * 1000);
    const video = box.querySelector("video");
    if (first.mjpeg) { // an MJPEG-only camera: its stream passed through, shown as it comes
      const img = document.createElement("img");
      img.className = "cam-mjpeg";
      img.alt = video?.getAttribute("aria-label") || "";
      img.onload = () => onPlaying();
      img.onerror = () => onFailed();
      img.src = first.mjpeg;
      if (video) video.replaceWith(img); else box.append(img);
      return;
    }
    // Every request hls.js makes goes to the newest token's address.
    const rewrite = (url) => url.replace(/\/v\/[^/]+\//, `/v/${current.token}/`);
    hls = new Hls({
      liveSyncDurationCount: 2,
      manifestLoadingMaxRetry: 6,
      manifestLoadingRetryDelay: 1000,
      xhrSetup: (xhr, url) => { xhr.open("GET", rewrite(url), true); },
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
    hls.on(Hls.Events.FRAG_BUFFERED, () => onPlaying());
    hls.on(Hls.Events.ERROR, (_event, data) => { if (data.fatal) onFailed(); });
    hls.loadSource(first.playlist);
    hls.attachMedia(video);
  };
  start().catch((error) => onFailed(error.message));
  return {
    stop() {
      stopped = true;
      if (renewal) clearInterval(renewal);
      if (hls) hls.destroy();
    },
  };
}

function startLive(player) {
  const status = player.querySelector("[data-live-status]");
  const say = (text) => { if (status) status.textContent = text; };
  say(player.dataset.starting);
  play(player, player.dataset.live, {
    onPlaying: () => { say(""); player.dataset.playing = "1"; },
    onFailed: (message) => {
      say(message || player.dataset.failed);
      player.dataset.error = message || "failed";
    },
  });
}

// On a live wall, the tiles on screen with video play it; those the tour hides stop.
const playing = new Map(); // tile -> {stop}
function liveTiles(wall) {
  for (const tile of wall.querySelectorAll("[data-camera]")) {
    const url = tile.dataset.liveUrl;
    if (tile.hidden || !url) {
      playing.get(tile)?.stop();
      playing.delete(tile);
      tile.querySelector(".cam-video")?.remove();
      continue;
    }
    if (playing.has(tile)) continue;
    const box = document.createElement("div");
    box.className = "cam-video";
    box.innerHTML = '<video muted playsinline autoplay></video>';
    tile.querySelector(".cam-frame").append(box);
    playing.set(tile, play(box, url, {
      onPlaying: () => { tile.dataset.playing = "1"; },
      onFailed: () => { box.remove(); delete tile.dataset.playing; },
    }));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (!document.getElementById("camera-config")) return;
  if (document.querySelector("[data-camera-wall]")) startTour();
  else startGrid();
  for (const player of document.querySelectorAll("[data-live]")) startLive(player);
});
