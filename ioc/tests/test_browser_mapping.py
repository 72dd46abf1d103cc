"""The connection form's mapping table in a real browser: pick a source field and a range
for a column, see the JSON follow, preview the rows it would reject, save."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ioc.demo.accounts import DEMO_USERS
from ioc.tests.test_browser import _chromium, browser, log_in, page, province  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ENGINEER = next(u for u in DEMO_USERS if u.username == "dulieu")


def test_the_mapping_table_writes_the_mapping_and_the_preview_applies_it(
    page: Any,  # noqa: F811  (the browser page fixture)
    live_server: Any,
) -> None:
    from ioc.integrations.models import Connection

    connection = Connection.objects.get(kind="file", dataset__slug="kham_chua_benh")
    # An agency's new file waits in the drop folder (the preview reads it, moving nothing).
    folder = Path(connection.config["path"])
    (folder / "thang_moi.csv").write_text(
        "Ngày;Phường/xã;Loại hình;Lượt khám;Chi phí (triệu đồng)\n"
        "01/12/2026;25747;Nội trú;7;1,5\n01/12/2026;25747;Ngoại trú;250;3,5\n",
        encoding="utf-8",
    )
    log_in(page, live_server, ENGINEER)
    page.goto(f"/ioc/data/connections/{connection.pk}/edit/")
    editor = page.locator("[data-mapping-editor]")
    editor.wait_for(state="visible")
    row = page.locator('tr[data-column="luot_kham"]')
    assert row.count() == 1
    page.click("button[name=preview]")  # reads the source: its fields fill the lists
    row = page.locator('tr[data-column="luot_kham"]')
    row.locator('select[data-key="source"]').select_option("Lượt khám")
    row.locator('input[data-rule="max"]').fill("10")
    row.locator('input[data-rule="max"]').dispatch_event("change")
    mapping = json.loads(page.input_value("textarea[name=mapping]"))
    assert mapping == {
        "fields": [{"column": "luot_kham", "source": "Lượt khám"}],
        "rules": [{"column": "luot_kham", "max": 10}],
    }
    page.click("button[name=preview]")
    rejected = page.locator("#preview-title ~ .table-scroll").last.inner_text()
    assert "luot_kham" in rejected  # the visits above 10 are refused, with the column named
    page.click("form.panel button.button-primary")
    page.wait_for_url(f"{live_server.url}/ioc/data/connections/{connection.pk}/")
    connection.refresh_from_db()
    assert connection.mapping["rules"] == [{"column": "luot_kham", "max": 10.0}]
