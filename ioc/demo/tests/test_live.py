"""The demo's live sources: simulated agency systems whose data keeps arriving."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ioc.demo import live
from ioc.demo.registry import SCALES, DemoContext
from ioc.integrations.models import Connection
from ioc.integrations.services import run_connection
from ioc.warehouse import writer


@pytest.fixture
def province(agencies: dict[str, Any], warehouse: Any, settings: Any, tmp_path: Any) -> None:
    from ioc.core.models import Agency, Sector
    from ioc.demo.province import PROVINCE_AGENCIES, SECTORS

    settings.VAR_DIR = tmp_path / "var"
    for order, (code, name, *_rest) in enumerate(SECTORS):
        Sector.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    unit = agencies["health"].unit
    for code, name, *_ in PROVINCE_AGENCIES:
        Agency.objects.get_or_create(
            code=code, defaults={"name": name, "kind": "department", "unit": unit}
        )


def test_live_sources_feed_their_datasets(province: None) -> None:
    import random

    ctx = DemoContext(scale=SCALES["tiny"], rng=random.Random(1), out=lambda _s: None)
    assert live.live_connections(ctx) == "5 live connections (5 new)"
    assert live.live_connections(ctx) == "5 live connections (0 new)"
    assert sorted(Connection.objects.values_list("kind", flat=True)) == [
        "file",
        "mqtt",
        "push",
        "rest",
        "sql",
    ]
    sims = live.Simulators(every=0.01)
    sims.start()
    try:
        time.sleep(0.5)  # a few hospital rows and traffic files
        for kind, slug in (
            ("rest", "ho_so_truc_tuyen"),
            ("sql", "nhap_vien"),
            ("file", "luot_xe_truc_tiep"),
        ):
            run = run_connection(Connection.objects.get(kind=kind))
            assert run.status == "succeeded", (kind, run.error)
            assert run.rows_accepted > 0, (kind, run.log)
            stored = writer.execute(f"SELECT count(*) FROM data.{slug}")[0][0]  # noqa: S608
            assert stored == run.rows_accepted
        # The REST source pulls incrementally: a second run asks only for what is new.
        again = run_connection(Connection.objects.get(kind="rest"))
        assert again.rows_read < 5
    finally:
        sims.stop()
