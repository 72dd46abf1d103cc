// The shell's small script: htmx for partial updates, with Django's CSRF token on every request,
// and the finishing touches of the <details> menus (they already work without this file).
import htmx from "htmx.org";

window.htmx = htmx;

document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// Menus built on <details data-menu>: Escape closes and returns focus to the toggle; a click
// or focus outside closes them too.
function openMenus() {
  return document.querySelectorAll("details[data-menu][open]");
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of openMenus()) {
    menu.open = false;
    menu.querySelector("summary")?.focus();
  }
});

function closeOutside(event) {
  for (const menu of openMenus()) {
    if (!menu.contains(event.target)) menu.open = false;
  }
}

document.addEventListener("click", closeOutside);
document.addEventListener("focusin", closeOutside);
