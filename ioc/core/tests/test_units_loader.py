"""The loader, on the real data of the package vietnamadminunits, for the whole country."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum

from ioc.core.models import AdministrativeUnit as U
from ioc.core.models import UnitTransition as T
from ioc.core.tests._units_data import loaded_country
from ioc.core.units.area import area_unit_ids
from ioc.core.units.loader import (
    BASIS_COMMUNES,
    TransitionRecord,
    UnitRecord,
    UnitSource,
    VietnamAdminUnitsSource,
    load_units,
)
from ioc.core.units.resolve import current_successors, resolve_code, rollup_map

OLD_END = dt.date(2025, 6, 30)
NEW_START = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def country(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    started = time.perf_counter()
    for counts in loaded_country(django_db_blocker):
        counts["seconds"] = time.perf_counter() - started
        yield counts


def unit(code: str, level: int, *, current: bool) -> U:
    return U.objects.get(code=code, level=level, valid_to__isnull=current)


def test_counts_and_speed(country: dict[str, Any], db: Any) -> None:
    # 63 provinces, 696 districts and 10,035 communes before; 34 provinces and 3,321
    # communes after; 27 provinces kept their code and name, and are one record each.
    assert country["old_units"] == 63 + 696 + 10035
    assert country["new_units"] == 34 + 3321
    assert country["continuing_provinces"] == 27
    assert country["units_created"] == U.objects.count() == 10794 + 3355 - 27
    assert U.objects.filter(level=1, valid_to__isnull=True).count() == 34
    assert U.objects.filter(level=2, valid_to__isnull=True).count() == 0
    assert U.objects.filter(level=3, valid_to__isnull=True).count() == 3321
    assert country["transitions_created"] == T.objects.count() > 11000
    assert country["seconds"] < 20  # a few seconds on a laptop; generous for CI


def test_phu_cuong_became_thu_dau_mot(country: dict[str, Any], db: Any) -> None:
    old = resolve_code("25747", on=dt.date(2025, 1, 1))
    assert [u.name for u in old] == ["Phường Phú Cường"]
    phu_cuong = old[0]
    assert phu_cuong.valid_to == OLD_END and phu_cuong.valid_from is None
    assert phu_cuong.parent is not None and phu_cuong.parent.code == "718"
    assert phu_cuong.parent.parent is not None and phu_cuong.parent.parent.code == "74"
    (successor, share), *rest = current_successors(phu_cuong)
    assert not rest and share == 1.0
    assert (successor.code, successor.name, successor.valid_from) == (
        "25747",
        "Phường Thủ Dầu Một",
        NEW_START,
    )
    assert successor.parent is not None and successor.parent.code == "79"
    assert successor.area_km2 == pytest.approx(15.682)
    # Phú Thọ and Chánh Nghĩa went into it whole; Hiệp Thành and Chánh Mỹ in part.
    into = {
        t.source.code: (t.kind, t.is_primary)
        for t in T.objects.filter(target=successor).select_related("source")
    }
    assert into == {
        "25747": ("merge", True),
        "25753": ("merge", True),
        "25756": ("merge", True),
        "25741": ("split", False),
        "25774": ("split", False),
    }
    edge = T.objects.get(source=phu_cuong)
    assert (edge.kind, edge.weight, edge.is_primary, edge.effective) == (
        "merge",
        1.0,
        True,
        NEW_START,
    )
    assert edge.basis == BASIS_COMMUNES


def test_provinces(country: dict[str, Any], db: Any) -> None:
    hcm = U.objects.get(code="79", level=1)  # continued: one record, no dates
    assert (hcm.valid_from, hcm.valid_to) == (None, None)
    assert hcm.children.filter(level=2).count() == 22  # its old districts...
    assert hcm.children.filter(level=3).count() == 168  # ...and its new communes
    bd = U.objects.get(code="74", level=1)
    assert bd.valid_to == OLD_END
    assert [(t.kind, t.target_id) for t in bd.successions.all()] == [("merge", hcm.pk)]
    # Code 15 was Yên Bái, and is the new Lào Cai; old Lào Cai was 10.
    yen_bai, lao_cai = U.objects.filter(code="15", level=1).order_by(
        F("valid_from").asc(nulls_first=True)
    )
    assert (yen_bai.name, yen_bai.valid_to) == ("Tỉnh Yên Bái", OLD_END)
    assert (lao_cai.name, lao_cai.valid_from) == ("Tỉnh Lào Cai", NEW_START)
    old_lao_cai = unit("10", 1, current=False)
    assert set(
        T.objects.filter(target=lao_cai, kind="merge").values_list("source_id", flat=True)
    ) == {
        yen_bai.pk,
        old_lao_cai.pk,
    }
    assert resolve_code("15", on=dt.date(2024, 1, 1)) == [yen_bai]


def test_districts_abolished(country: dict[str, Any], db: Any) -> None:
    tdm = unit("718", 2, current=False)
    assert tdm.valid_to == OLD_END
    assert [(t.kind, t.target.code) for t in tdm.successions.all()] == [("abolish", "79")]
    # Island districts without communes became special zones (đặc khu).
    con_dao = U.objects.get(name="Huyện Côn Đảo")
    (edge,) = con_dao.successions.all()
    target = edge.target
    assert (edge.kind, target.name, target.kind) == ("merge", "Đặc khu Côn Đảo", "đặc khu")


def test_splits_have_weights_and_one_primary(country: dict[str, Any], db: Any) -> None:
    split = (
        T.objects.filter(kind="split")
        .values("source_id")
        .annotate(n=Count("id"), total=Sum("weight"))
    )
    assert len(split) == 471
    for row in split:
        assert row["n"] >= 2
        assert row["total"] == pytest.approx(1.0, abs=1e-4)
        primaries = T.objects.filter(source_id=row["source_id"], is_primary=True).count()
        assert primaries == 1
    # Rolling a split commune up goes to its primary part.
    rollup = rollup_map()
    some = T.objects.filter(kind="split", is_primary=True).first()
    assert some is not None and rollup[some.source_id] == some.target_id
    shares = {u.pk: s for u, s in current_successors(some.source)}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-4)


def test_rollup_map(country: dict[str, Any], db: Any) -> None:
    rollup = rollup_map()
    assert rollup[unit("25747", 3, current=False).pk] == unit("25747", 3, current=True).pk
    assert rollup[unit("718", 2, current=False).pk] == U.objects.get(code="79").pk
    assert rollup[unit("74", 1, current=False).pk] == U.objects.get(code="79").pk
    assert all(u.valid_to is not None for u in U.objects.filter(pk__in=list(rollup)[:500]))
    # On a day before the change, nothing needs rolling up.
    assert rollup_map(on=dt.date(2025, 1, 1)) == {}


def test_second_load_changes_nothing(country: dict[str, Any], db: Any) -> None:
    units_before = list(U.objects.order_by("pk").values())
    transitions_before = list(T.objects.order_by("pk").values())
    started = time.perf_counter()
    again = load_units()
    assert time.perf_counter() - started < 10
    assert again["units_created"] == again["units_updated"] == 0
    assert again["transitions_created"] == again["transitions_updated"] == 0
    assert again["units_unchanged"] == len(units_before)
    assert list(U.objects.order_by("pk").values()) == units_before
    assert list(T.objects.order_by("pk").values()) == transitions_before


def test_area_of_binh_duong(country: dict[str, Any], db: Any) -> None:
    assert country["in_area"] == U.objects.filter(in_area=True).count()
    bd = U.objects.get(code="74")
    area = U.objects.filter(in_area=True)
    # Bình Dương's old tree: itself, 9 districts, 91 communes.
    assert area.filter(valid_to=OLD_END).count() == 1 + 9 + 91
    # The 36 new wards formed from its communes, and Hồ Chí Minh City as their parent...
    new_wards = area.filter(level=3, valid_from=NEW_START)
    assert new_wards.count() == 36
    assert set(area.filter(level=1).values_list("code", flat=True)) == {"74", "79"}
    # ...but none of the city's other communes or districts.
    for ward in new_wards:
        assert T.objects.filter(target=ward, source__parent__parent=bd).exists()
    assert not area.filter(code="760").exists()  # Quận 1
    assert U.objects.get(code="25747", valid_from=NEW_START).in_area


def test_area_from_a_new_code_reaches_back(country: dict[str, Any], db: Any) -> None:
    """Naming a new-tree unit brings in the old communes that formed it, and their tree."""
    new_tdm = U.objects.get(code="25747", valid_from=NEW_START)
    ids = area_unit_ids(["25747"])
    codes = set(U.objects.filter(pk__in=ids).values_list("code", flat=True))
    assert new_tdm.pk in ids
    assert {"25747", "25753", "25756", "718", "74", "79"} <= codes
    assert "25744" not in codes  # Phú Lợi went elsewhere


def test_command_load_is_idempotent_and_prints_counts(country: dict[str, Any], db: Any) -> None:
    out = StringIO()
    call_command("units", "load", "--provinces", "74", "79", "--area", "74", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["units_created"] == counts["units_updated"] == 0
    assert counts["in_area"] == country["in_area"]
    out = StringIO()
    call_command("units", "load", "--provinces", "74", stdout=out)
    text = out.getvalue()
    assert "100%" in text and "units_unchanged" in text


def test_command_resolve(country: dict[str, Any], db: Any) -> None:
    out = StringIO()
    call_command("units", "resolve", "25747", stdout=out)
    text = out.getvalue()
    assert "Phường Phú Cường" in text and "→ 1" in text and "Phường Thủ Dầu Một" in text
    out = StringIO()
    call_command("units", "resolve", "25747", "--on", "2025-01-01", stdout=out)
    assert "Phường Thủ Dầu Một  2025" not in out.getvalue().splitlines()[0]
    with pytest.raises(CommandError) as bad_date:
        call_command("units", "resolve", "25747", "--on", "2025-02-30")
    assert "không hợp lệ" in str(bad_date.value) and "Bad date" in str(bad_date.value)
    with pytest.raises(CommandError) as unknown:
        call_command("units", "resolve", "99999")
    assert "Không có đơn vị" in str(unknown.value) and "No unit has" in str(unknown.value)


def test_command_area(country: dict[str, Any], db: Any) -> None:
    out = StringIO()
    call_command("units", "area", "74", stdout=out)
    assert out.getvalue().startswith(f"{country['in_area']} units in the area")
    with pytest.raises(CommandError) as unknown:
        call_command("units", "area", "7777")
    assert "7777" in str(unknown.value) and "Unknown unit code" in str(unknown.value)


class TinySource(UnitSource):
    """Another source: the loader must need nothing more than the interface."""

    label = "tiny test source"
    effective = dt.date(2030, 1, 1)

    def old_units(self) -> list[UnitRecord]:
        return [
            UnitRecord("T1", 1, "Tỉnh Thử"),
            UnitRecord("T10", 2, "Huyện Một", parent=(1, "T1")),
            UnitRecord("T100", 3, "Xã Một", parent=(2, "T10")),
            UnitRecord("T101", 3, "Xã Hai", parent=(2, "T10")),
        ]

    def new_units(self) -> list[UnitRecord]:
        return [
            UnitRecord("T1", 1, "Tỉnh Thử"),
            UnitRecord("T100", 3, "Xã Một Hai", parent=(1, "T1"), area_km2=12.5),
        ]

    def transitions(self) -> list[TransitionRecord]:
        return [
            TransitionRecord("merge", (3, "T100"), (3, "T100")),
            TransitionRecord("merge", (3, "T101"), (3, "T100")),
            TransitionRecord("abolish", (2, "T10"), (1, "T1")),
            TransitionRecord("merge", (1, "T1"), (1, "T1")),  # continues: dropped
        ]


def test_another_source(country: dict[str, Any], db: Any) -> None:
    counts = load_units(TinySource())
    assert counts["continuing_provinces"] == 1
    assert counts["units_created"] == 5 and counts["transitions_created"] == 3
    assert counts["transitions_skipped"] == 1
    province = U.objects.get(code="T1")
    assert (province.valid_from, province.valid_to, province.source) == (
        None,
        None,
        "tiny test source",
    )
    new = U.objects.get(code="T100", valid_from=dt.date(2030, 1, 1))
    assert new.parent == province and new.name_folded == "xa mot hai"
    old = U.objects.get(code="T101")
    assert old.valid_to == dt.date(2029, 12, 31)
    assert current_successors(old, on=dt.date(2030, 6, 1)) == [(new, 1.0)]
    assert load_units(TinySource())["units_unchanged"] == 5


def test_source_reads_package_files() -> None:
    source = VietnamAdminUnitsSource()
    assert source.label.startswith("vietnamadminunits ")
    assert (source.data_dir / "dataset.db").is_file()
    provinces = [r for r in source.old_units() if r.level == 1]
    assert len(provinces) == 63
