// The wall: dashboards in turn by the clock (so every screen of a video wall turns together),
// a clock, the centre's severe alerts, live updates; it runs for days, so a dashboard's charts
// are disposed when it leaves the screen and nothing accumulates.
import { charts, disposeAll, loadAll, resizeAll } from "./board.js";
import { follow } from "./live.js";

const LANG = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
const slides = [...document.querySelectorAll("[data-slide]")];
const dwell = slides.map((s) => Number(s.dataset.dwell) || 60);
const cycle = dwell.reduce((a, b) => a + b, 0);
let current = -1;

export function slideAt(seconds) {
  let position = seconds % cycle;
  for (let i = 0; i < dwell.length; i += 1) {
    if (position < dwell[i]) return i;
    position -= dwell[i];
  }
  return 0;
}

// Columns × rows for n equal cells on a canvas of this shape (cells close to 16:10).
export function gridFor(n, width, height) {
  let best = [1, n];
  let bestScore = Infinity;
  for (let cols = 1; cols <= n; cols += 1) {
    const rows = Math.ceil(n / cols);
    const cell = (width / cols) / (height / rows);
    const score = Math.abs(Math.log(cell / 1.6)) + (cols * rows - n) * 0.05;
    if (score < bestScore) { bestScore = score; best = [cols, rows]; }
  }
  return best;
}

function layout(slide) {
  const grid = slide.querySelector(".wall-grid");
  if (!grid) return;
  const n = grid.querySelectorAll(".tile").length;
  const box = slide.getBoundingClientRect();
  const [cols, rows] = gridFor(n, box.width || window.innerWidth, box.height || window.innerHeight);
  grid.style.setProperty("--grid-cols", cols);
  grid.style.setProperty("--grid-rows", rows);
}

function show(index) {
  if (index === current) return;
  const previous = slides[current];
  if (previous) {
    disposeAll(previous);
    previous.hidden = true;
  }
  const next = slides[index];
  next.hidden = false;
  layout(next);
  current = index;
  document.querySelector("[data-wall-board]").textContent = next.dataset.title;
  document.body.dataset.slide = String(index);
  loadAll(index === 0, next).then(() => {
    if (current === index) document.body.dataset.boardReady = "1";
  });
}

function tick() {
  const now = new Date();
  const clock = document.querySelector("[data-wall-clock]");
  clock.dateTime = now.toISOString();
  clock.textContent = `${now.toLocaleTimeString(LANG, { hour12: false })} · ${now.toLocaleDateString(LANG, { weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" })}`;
  if (slides.length) show(slideAt(Math.floor(Date.now() / 1000)));
}

async function alerts() {
  const config = document.getElementById("wall-events");
  const banner = document.querySelector("[data-wall-alerts]");
  if (!config || !banner) return;
  try {
    const response = await fetch(JSON.parse(config.textContent).url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(response.statusText);
    const page = await response.json();
    banner.replaceChildren(...page.results.map((event) => {
      const item = document.createElement("span");
      item.className = `wall-alert wall-alert-${event.severity}`;
      item.textContent = event.unit_name ? `${event.headline} · ${event.unit_name}` : event.headline;
      return item;
    }));
    banner.hidden = page.results.length === 0;
  } catch {
    // The banner keeps what it showed; the next round tries again.
  }
}

function start() {
  tick();
  setInterval(tick, 1000);
  alerts();
  setInterval(alerts, 30000);
  follow(() => slides[current] || document);
  let pending;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      if (slides[current]) layout(slides[current]);
      resizeAll();
    }, 150);
  });
}

window.iocWall = { slideAt, slides, charts, get current() { return current; } };
document.addEventListener("DOMContentLoaded", start);
