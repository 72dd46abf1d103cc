// Live updates over Server-Sent Events (/ioc/live/): when a dataset changes, the tiles that read
// it are drawn again, without reloading the page. The browser reconnects by itself after a
// network or server restart; the server then replays what was missed (Last-Event-ID, or
// ?since= when the connection had to be made anew), and every tile is refreshed once.
import { load } from "./board.js";
import { loadMapTiles } from "./maptile.js";

let source = null;
let lastId = "";
let wasDown = false;
let retry = null;

function status(state) {
  document.body.dataset.live = state; // "open", "reconnecting"
  const badge = document.querySelector("[data-live-status]");
  if (badge) {
    badge.dataset.state = state;
    badge.textContent = badge.dataset[state] || state;
  }
}

export function follow(getRoot) {
  const root = () => (typeof getRoot === "function" ? getRoot() : getRoot);
  const connect = () => {
    clearTimeout(retry);
    source = new EventSource(`/ioc/live/${lastId ? `?since=${lastId}` : ""}`);
    source.addEventListener("open", () => {
      status("open");
      if (wasDown) {
        wasDown = false;
        for (const tile of root().querySelectorAll(".tile[data-url]")) load(tile);
      }
    });
    source.addEventListener("dataset", (event) => {
      lastId = event.lastEventId || lastId;
      const change = JSON.parse(event.data);
      document.body.dataset.lastChange = String(change.id);
      for (const tile of root().querySelectorAll(`.tile[data-dataset="${CSS.escape(change.dataset)}"]`)) {
        load(tile);
      }
      loadMapTiles(root(), change.dataset); // map tiles redraw their data layers, keeping their view
    });
    source.addEventListener("error", () => {
      wasDown = true;
      status("reconnecting");
      if (source.readyState === EventSource.CLOSED) {
        // The server answered with an error (a proxy's 502 while it restarts): start anew.
        source.close();
        retry = setTimeout(connect, 3000);
      }
    });
  };
  connect();
}
