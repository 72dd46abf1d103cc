// The time slider: replay a period step by step (day, week or month) on the layers whose rows
// have a time (points and choropleths). Off, the layers show their default (all points; a
// choropleth's last 12 months). Play moves one step every two seconds, once each step drew,
// from the first step when the slider stands at the last.

function iso(date) {
  return date.toISOString().slice(0, 10);
}

function add(date, step, n = 1) {
  const d = new Date(date);
  if (step === "day") d.setUTCDate(d.getUTCDate() + n);
  else if (step === "week") d.setUTCDate(d.getUTCDate() + 7 * n);
  else d.setUTCMonth(d.getUTCMonth() + n);
  return d;
}

// [start, end) windows from `from` to `to` (inclusive days), at most 400.
export function windows(from, to, step) {
  const out = [];
  let start = new Date(`${from}T00:00:00Z`);
  if (step === "month") start.setUTCDate(1);
  const last = new Date(`${to}T00:00:00Z`);
  while (start <= last && out.length < 400) {
    const end = add(start, step);
    out.push({ start: iso(start), end: iso(end) });
    start = end;
  }
  return out;
}

export function timeBar(box, iocMap, strings) {
  const lang = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
  const today = new Date();
  const yearAgo = new Date(Date.UTC(today.getUTCFullYear() - 1, today.getUTCMonth(), 1));
  const q = (s) => box.querySelector(s);
  box.innerHTML = `
    <label class="map-time-on"><input type="checkbox" data-time-on> <span></span></label>
    <label><span class="visually-hidden"></span><input type="date" data-time-from></label>
    <label><span class="visually-hidden"></span><input type="date" data-time-to></label>
    <select data-time-step></select>
    <button type="button" class="button button-secondary" data-time-play disabled></button>
    <input type="range" min="0" max="0" value="0" data-time-slider disabled>
    <output data-time-label></output>`;
  q(".map-time-on span").textContent = strings.replay;
  const [fromLabel, toLabel] = box.querySelectorAll(".visually-hidden");
  fromLabel.textContent = strings.from;
  toLabel.textContent = strings.to;
  const on = q("[data-time-on]");
  const from = q("[data-time-from]");
  const to = q("[data-time-to]");
  const step = q("[data-time-step]");
  const play = q("[data-time-play]");
  const slider = q("[data-time-slider]");
  const label = q("[data-time-label]");
  from.value = iso(yearAgo);
  to.value = iso(today);
  for (const [value, text] of [["month", strings.month], ["week", strings.week], ["day", strings.day]]) {
    step.append(new Option(text, value));
  }
  slider.setAttribute("aria-label", strings.period);
  let steps = [];
  let timer = null;
  let pending = null;

  const format = (w) => {
    const start = new Date(`${w.start}T00:00:00Z`);
    const opts = step.value === "month" ? { month: "long", year: "numeric", timeZone: "UTC" } : { day: "numeric", month: "numeric", year: "numeric", timeZone: "UTC" };
    const text = new Intl.DateTimeFormat(lang, opts).format(start);
    if (step.value !== "week") return text;
    const end = add(start, "day", 6);
    return `${text} – ${new Intl.DateTimeFormat(lang, opts).format(end)}`;
  };

  const show = async () => {
    const w = steps[Number(slider.value)];
    if (!w) return;
    label.textContent = format(w);
    box.dataset.period = `${w.start}/${w.end}`;
    box.dataset.busy = "1";
    pending = iocMap.setPeriod(w);
    await pending;
    delete box.dataset.busy;
    box.dispatchEvent(new CustomEvent("period-shown"));
  };

  const rebuild = () => {
    steps = windows(from.value, to.value, step.value);
    slider.max = String(Math.max(0, steps.length - 1));
    slider.value = String(Math.max(0, steps.length - 1));
  };

  const stop = () => {
    clearTimeout(timer);
    timer = null;
    play.textContent = `▶ ${strings.play}`;
    play.setAttribute("aria-pressed", "false");
  };

  const tick = async () => {
    await pending;
    if (!timer) return;
    const next = (Number(slider.value) + 1) % steps.length;
    slider.value = String(next);
    await show();
    if (timer) timer = setTimeout(tick, 2000);
  };

  const enable = async () => {
    const active = on.checked;
    for (const input of [play, slider]) input.disabled = !active;
    box.classList.toggle("is-on", active);
    stop();
    if (!active) { label.textContent = ""; delete box.dataset.period; await iocMap.setPeriod(null); return; }
    rebuild();
    await show();
  };

  on.addEventListener("change", enable);
  for (const input of [from, to, step]) input.addEventListener("change", () => { if (on.checked) { stop(); rebuild(); show(); } });
  let debounce = null;
  slider.addEventListener("input", () => { stop(); clearTimeout(debounce); debounce = setTimeout(show, 250); });
  play.addEventListener("click", () => {
    if (timer) { stop(); return; }
    play.textContent = `⏸ ${strings.pause}`;
    play.setAttribute("aria-pressed", "true");
    timer = setTimeout(tick, 0);
  });
  stop();
}
