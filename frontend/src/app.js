// The shell's small script: htmx for partial updates, with Django's CSRF token on every request.
import htmx from "htmx.org";

window.htmx = htmx;

document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
