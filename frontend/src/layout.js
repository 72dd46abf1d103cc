// Arranging a dashboard: each chart becomes a box on the 12-column grid, dragged and resized
// with gridstack; "Save" sends the places to the server, which checks and keeps them.
import { GridStack } from "gridstack";
import "gridstack/dist/gridstack.min.css";

function csrf() {
  return document.querySelector("meta[name=csrf-token]")?.content || "";
}

function start() {
  const button = document.querySelector("[data-edit-layout]");
  const board = document.querySelector("[data-board]");
  if (!button || !board) return;
  const editor = document.querySelector("[data-layout-editor]");
  const host = editor.querySelector(".grid-stack");
  const status = editor.querySelector("[data-layout-status]");
  let grid = null;

  button.addEventListener("click", () => {
    board.hidden = true;
    editor.hidden = false;
    button.hidden = true;
    editor.scrollIntoView({ block: "start" });
    grid = GridStack.init({ column: 12, cellHeight: 72, margin: 6, float: false, animate: false }, host);
    grid.removeAll();
    for (const tile of board.querySelectorAll(".tile")) {
      const style = getComputedStyle(tile);
      grid.addWidget({
        id: tile.dataset.chart,
        x: Number(style.getPropertyValue("--x")) - 1,
        y: Number(style.getPropertyValue("--y")) - 1,
        w: Number(style.getPropertyValue("--w")),
        h: Number(style.getPropertyValue("--h")),
        content: tile.querySelector(".tile-title").textContent,
      });
    }
  });

  editor.querySelector("[data-layout-cancel]").addEventListener("click", () => window.location.reload());
  editor.querySelector("[data-layout-save]").addEventListener("click", async () => {
    const charts = grid.save(false).map((n) => ({ id: Number(n.id), x: n.x, y: n.y, w: n.w, h: n.h }));
    status.textContent = status.dataset.saving;
    const response = await fetch(editor.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ charts }),
    });
    if (response.ok) {
      window.location.reload();
    } else {
      const data = await response.json().catch(() => ({}));
      status.textContent = `${status.dataset.failed} ${data.detail || response.statusText}`;
    }
  });
}

document.addEventListener("DOMContentLoaded", start);
