"""A dashboard as a PDF file, made on the server (for the leaders' weekly meeting).

Debian's Chromium, driven by Playwright, opens the dashboard's own page as the person who
asked (their session cookie, so exactly their scope and nothing more), waits until every
chart is drawn, and prints it to an A4 landscape PDF with the page's print layout: the time
of printing, the scope and the period are on it. No second renderer to keep in step with the
charts, and no new way in: the browser is one more tab of that person's session.
"""

from __future__ import annotations

import shutil

from django.utils.translation import gettext as _

WIDTH, HEIGHT = 1123, 794  # A4 landscape at 96 dpi: the charts are drawn at the paper's width
TIMEOUT_MS = 60_000


class PdfUnavailable(Exception):
    """No Chromium on this server, or the page did not draw in time."""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str, cookies: dict[str, str]) -> bytes:
    """The page at ``url`` (this server's), drawn with ``cookies``, as PDF bytes."""
    executable = chromium()
    if executable is None:
        raise PdfUnavailable(
            _(
                "This server cannot make PDF files: Chromium is not installed (make browser). "
                "Use Print and save as PDF in your browser."
            )
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=executable,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                context = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT}, locale="vi-VN"
                )
                context.add_cookies(
                    [{"name": k, "value": v, "url": url} for k, v in cookies.items()]
                )
                page = context.new_page()
                page.emulate_media(media="print")
                page.goto(url, timeout=TIMEOUT_MS)
                page.wait_for_function(
                    "document.body.dataset.boardReady === '1'", timeout=TIMEOUT_MS
                )
                return page.pdf(
                    format="A4", landscape=True, print_background=True, prefer_css_page_size=True
                )
            finally:
                browser.close()
    except PlaywrightError as error:
        raise PdfUnavailable(
            _("The PDF could not be made: %(error)s") % {"error": str(error).splitlines()[0]}
        ) from error
