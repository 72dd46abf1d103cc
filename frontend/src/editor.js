// The chart editor: the column lists follow the chosen dataset (from /api/datasets/<name>/),
// and "Preview" asks the server to check and answer the form's question, then draws it.
import { draw } from "./board.js";

const form = document.querySelector("[data-editor]");

async function columnsOf(slug) {
  const response = await fetch(`/api/datasets/${encodeURIComponent(slug)}/`, { credentials: "same-origin" });
  if (!response.ok) return [];
  return (await response.json()).columns;
}

function fill(select, columns, lang) {
  const wanted = select.dataset.columns;
  const keep = select.value || select.dataset.value;
  const usable = columns.filter((c) => {
    if (wanted === "all") return true;
    if (wanted === "category") return ["dimension", "attribute"].includes(c.role) && c.type === "text";
    return true; // metrics: any column (numbers for sums; any for counts)
  });
  select.replaceChildren(new Option("—", ""), ...usable.map((c) => {
    const label = (lang === "en" && c.label_en) || c.label || c.name;
    return new Option(`${label} (${c.name})`, c.name, false, c.name === keep);
  }));
}

async function refresh() {
  const slug = form.querySelector("[name=dataset]").value;
  const columns = slug ? await columnsOf(slug) : [];
  for (const select of form.querySelectorAll("select[data-columns]")) fill(select, columns, document.documentElement.lang);
}

async function preview() {
  const status = document.querySelector("[data-preview-status]");
  const tile = document.getElementById("chart-preview");
  status.textContent = "…";
  // (form.dataset is the "dataset" field here, not the data- attributes)
  const response = await fetch(form.getAttribute("data-preview-url"), {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": document.querySelector("meta[name=csrf-token]").content },
    body: new FormData(form),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    status.textContent = data.detail || response.statusText;
    status.classList.add("errorlist");
    return;
  }
  status.classList.remove("errorlist");
  status.textContent = "";
  tile.dataset.kind = data.kind;
  tile.className = `tile tile-${data.kind}`;
  tile.querySelector("[data-preview-title]").textContent = form.querySelector("[name=name]").value;
  draw(tile, data);
  document.body.dataset.previewReady = String(Date.now());
}

if (form) {
  form.querySelector("[name=dataset]").addEventListener("change", refresh);
  form.querySelector("[data-preview]").addEventListener("click", preview);
  refresh();
  document.querySelector("[data-confirm]")?.addEventListener("click", (event) => {
    if (!window.confirm(event.currentTarget.dataset.confirm)) event.preventDefault();
  });
}
