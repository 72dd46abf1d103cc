// A dashboard page: draw every tile, redraw on resize, apply the filters as they change, and
// follow live updates (Server-Sent Events) for the datasets on the page.
import { charts, loadAll, resizeAll } from "./board.js";
import { follow } from "./live.js";

const PUBLIC_REFRESH = 5 * 60 * 1000; // public pages poll: live updates are for staff

function start() {
  const board = document.querySelector("[data-board]");
  if (!board) return;
  loadAll(true).then(() => document.body.setAttribute("data-board-ready", "1"));
  let pending;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(resizeAll, 150);
  });
  // The filters apply as soon as they change (the button stays for keyboards and no-JS).
  document.querySelector("[data-board-filters]")?.addEventListener("change", (event) => {
    event.currentTarget.requestSubmit();
  });
  if (board.hasAttribute("data-public")) setInterval(() => loadAll(false), PUBLIC_REFRESH);
  else follow(document);
  document.querySelector("[data-print]")?.addEventListener("click", () => {
    document.querySelectorAll(".tile-data[open], .tile-menu[open]").forEach((d) => { d.open = false; });
    window.print();
  });
}

window.iocBoard = { loadAll, charts };
document.addEventListener("DOMContentLoaded", start);
