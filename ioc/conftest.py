"""Shared fixtures. Services (PostgreSQL, Redis, MQTT, Chromium) are real: when one is missing
a test skips locally and FAILS in CI (CI=true), so CI never passes by skipping."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
from collections.abc import Callable
from typing import Any

import pytest
from shapely.geometry import box

from ioc.accounts.choices import Role

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a real service or tool is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the platform's language: a request in English leaves English
    active in its thread, which code called outside a request (a view called directly, a
    task) would otherwise inherit from whichever test ran before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _forget_remembered() -> Any:
    """Answers remembered for a few seconds (ioc.core.memo) would outlive the test whose
    rows were rolled back: each test starts with none."""
    from ioc.core.memo import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "Chromium (apt install chromium)")
    assert path is not None
    return path


MERGE_DAY = dt.date(2025, 7, 1)


# Polygons for the `units` fixture's five old wards: side by side, 0.02° wide, in Thủ Dầu
# Một's latitude band (the new wards they formed are derived from them).
WARD_CELLS = {
    "25747": box(106.60, 10.95, 106.62, 10.97),
    "25753": box(106.62, 10.95, 106.64, 10.97),
    "25756": box(106.64, 10.95, 106.66, 10.97),
    "25744": box(106.66, 10.95, 106.68, 10.97),
    "25750": box(106.68, 10.95, 106.70, 10.97),
}


@pytest.fixture
def units(db: Any) -> dict[str, Any]:
    """A small real slice of both trees: old Bình Dương → Thủ Dầu Một → wards, and the
    July 2025 wards they merged into (Phú Cường + Phú Thọ + Chánh Nghĩa → Thủ Dầu Một)."""
    from ioc.core.models import AdministrativeUnit as U
    from ioc.core.models import UnitTransition as T

    before = MERGE_DAY - dt.timedelta(days=1)
    hcm = U.objects.create(
        code="79", name="Thành phố Hồ Chí Minh", level=1, kind="thành phố", in_area=True
    )
    bd = U.objects.create(
        code="74", name="Tỉnh Bình Dương", level=1, kind="tỉnh", valid_to=before, in_area=True
    )
    tdm = U.objects.create(
        code="718",
        name="Thành phố Thủ Dầu Một",
        level=2,
        kind="thành phố",
        parent=bd,
        valid_to=before,
        in_area=True,
    )
    old = {}
    for code, name in [
        ("25747", "Phường Phú Cường"),
        ("25753", "Phường Phú Thọ"),
        ("25756", "Phường Chánh Nghĩa"),
        ("25744", "Phường Phú Lợi"),
        ("25750", "Phường Phú Hòa"),
    ]:
        old[code] = U.objects.create(
            code=code, name=name, level=3, kind="phường", parent=tdm, valid_to=before, in_area=True
        )
    new_tdm = U.objects.create(
        code="25747",
        name="Phường Thủ Dầu Một",
        level=3,
        kind="phường",
        parent=hcm,
        valid_from=MERGE_DAY,
        in_area=True,
    )
    new_pl = U.objects.create(
        code="25750",
        name="Phường Phú Lợi",
        level=3,
        kind="phường",
        parent=hcm,
        valid_from=MERGE_DAY,
        in_area=True,
    )
    for code in ("25747", "25753", "25756"):
        T.objects.create(kind="merge", source=old[code], target=new_tdm, effective=MERGE_DAY)
    for code in ("25744", "25750"):
        T.objects.create(kind="merge", source=old[code], target=new_pl, effective=MERGE_DAY)
    T.objects.create(kind="merge", source=bd, target=hcm, effective=MERGE_DAY)
    return {"hcm": hcm, "bd": bd, "tdm": tdm, "old": old, "new_tdm": new_tdm, "new_pl": new_pl}


@pytest.fixture
def sectors(db: Any) -> dict[str, Any]:
    from ioc.core.models import Sector

    return {
        code: Sector.objects.create(code=code, name=name, name_en=en, order=i)
        for i, (code, name, en) in enumerate(
            [
                ("health", "Y tế", "Health"),
                ("traffic", "Giao thông", "Traffic"),
                ("education", "Giáo dục", "Education"),
            ]
        )
    }


@pytest.fixture
def agencies(units: dict[str, Any], sectors: dict[str, Any]) -> dict[str, Any]:
    from ioc.core.models import Agency

    health = Agency.objects.create(
        code="so-y-te",
        name="Sở Y tế",
        name_en="Department of Health",
        kind="department",
        unit=units["hcm"],
    )
    health.sectors.add(sectors["health"])
    traffic = Agency.objects.create(
        code="so-gtvt",
        name="Sở Giao thông Vận tải",
        name_en="Department of Transport",
        kind="department",
        unit=units["hcm"],
    )
    traffic.sectors.add(sectors["traffic"])
    ward = Agency.objects.create(
        code="ubnd-thu-dau-mot",
        name="UBND phường Thủ Dầu Một",
        kind="commune",
        unit=units["new_tdm"],
    )
    ward.sectors.add(sectors["health"], sectors["traffic"])
    return {"health": health, "traffic": traffic, "ward": ward}


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """make_user("alice", roles=[Role.SECTOR_OFFICER], sectors=[...], units=[...])."""
    from ioc.accounts.models import User
    from ioc.accounts.roles import ensure_roles

    ensure_roles()

    def make(
        username: str,
        *,
        roles: list[Role | str] = (),
        sectors: list[Any] = (),
        units: list[Any] = (),
        agencies: list[Any] = (),
        scope_all: bool = False,
        password: str = "correct-horse-battery",
        **extra: Any,
    ) -> Any:
        from django.contrib.auth.models import Group

        user = User.objects.create_user(
            username=username, password=password, scope_all=scope_all, **extra
        )
        user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
        user.scope_sectors.set(sectors)
        user.scope_units.set(units)
        user.scope_agencies.set(agencies)
        return user

    return make


@pytest.fixture
def warehouse(settings: Any, tmp_path: Any) -> Any:
    """A fresh, empty warehouse for this test, through the writer: a new DuckDB file, or
    (``TEST_IOC_WAREHOUSE_URL``, the PostgreSQL pass) this worker's database emptied."""
    from ioc.warehouse.db import ensure_warehouse
    from ioc.warehouse.units import forget

    settings.WAREHOUSE_PATH = tmp_path / "warehouse.duckdb"
    forget()  # the units' copy is checked again in the new warehouse
    if settings.WAREHOUSE_URL:
        _empty_pg_warehouse(settings.WAREHOUSE_URL)
    return ensure_warehouse()


def _empty_pg_warehouse(url: str) -> None:
    import psycopg

    from ioc.warehouse.pg import create_database
    from ioc.warehouse.writer import forget_bootstrap

    create_database(url)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "DROP SCHEMA IF EXISTS data CASCADE; DROP SCHEMA IF EXISTS meta CASCADE;"
            " DROP SCHEMA IF EXISTS rollup CASCADE"
        )
    forget_bootstrap()


@pytest.fixture
def make_dataset(warehouse: Any, agencies: dict[str, Any]) -> Callable[..., Any]:
    """make_dataset("kham_benh", [{"name": "ngay", "type": "date", "role": "time"}, ...])."""
    from ioc.warehouse.schema import parse_schema
    from ioc.warehouse.services import create_dataset

    def make(
        slug: str, columns: list[dict[str, Any]], key: list[str] | None = None, **kw: Any
    ) -> Any:
        owner = kw.pop("owner", agencies["health"])
        return create_dataset(
            actor=None,
            slug=slug,
            name=kw.pop("name", slug),
            schema=parse_schema({"columns": columns, "key": key or []}),
            sector_id=kw.pop("sector_id", owner.sectors.first().pk),
            owner_id=owner.pk,
            **kw,
        )

    return make
