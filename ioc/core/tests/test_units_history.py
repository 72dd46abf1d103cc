"""Merges, splits and renames keep history: old codes still resolve to the units of today."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ioc.accounts.choices import Role
from ioc.core.models import AdministrativeUnit as U
from ioc.core.models import AuditEntry
from ioc.core.models import UnitTransition as T
from ioc.core.units.area import refresh_area
from ioc.core.units.resolve import current_successors, resolve_code, rollup_map
from ioc.core.units.services import UnitChangeError, merge_units, rename_unit, split_unit

JAN_2026 = dt.date(2026, 1, 1)
LATER = dt.date(2026, 6, 1)


def state() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    return (
        list(U.objects.order_by("pk").values()),
        list(T.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


def test_merge_keeps_both_old_codes_resolvable(units: dict[str, Any], make_user: Any) -> None:
    """Acceptance: after two communes merge, records under either old code (and under the
    codes that formed them in 2025) roll up to the new commune."""
    actor = make_user("officer")
    merged = merge_units(
        actor=actor,
        sources=[units["new_tdm"], units["new_pl"]],
        into_name="Phường Thủ Dầu Một",
        into_code="25747",
        effective=JAN_2026,
        basis="Nghị quyết số 1/2026/NQ-UBTVQH15",
    )
    assert (merged.code, merged.level, merged.valid_from, merged.valid_to) == (
        "25747",
        3,
        JAN_2026,
        None,
    )
    assert merged.parent == units["hcm"] and merged.in_area and merged.kind == "phường"
    for old in (units["new_tdm"], units["new_pl"]):
        old.refresh_from_db()
        assert old.valid_to == dt.date(2025, 12, 31)
        edge = T.objects.get(source=old, target=merged)
        assert (edge.kind, edge.weight, edge.is_primary, edge.basis) == (
            "merge",
            1.0,
            True,
            "Nghị quyết số 1/2026/NQ-UBTVQH15",
        )
    # Both codes of 2025, and every code of the old tree, end at the merged unit.
    for code in ("25747", "25750", "25753", "25756", "25744"):
        for unit in resolve_code(code):
            assert current_successors(unit, on=LATER) == [(merged, 1.0)], code
    # On a day in 2025 the old units are still the answer.
    (july,) = resolve_code("25750", on=dt.date(2025, 8, 1))
    assert july == units["new_pl"]
    assert current_successors(july, on=dt.date(2025, 8, 1)) == [(july, 1.0)]
    rollup = rollup_map(on=LATER)
    assert rollup[units["old"]["25744"].pk] == merged.pk
    assert rollup[units["new_pl"].pk] == merged.pk
    # Audited: the new unit created, both sources closed, with the actor.
    entries = AuditEntry.objects.filter(object_type="core.administrativeunit")
    assert entries.filter(action="create", object_id=str(merged.pk), actor=actor).exists()
    closed = entries.filter(action="update", changes__has_key="valid_to")
    assert {e.object_id for e in closed} == {str(units["new_tdm"].pk), str(units["new_pl"].pk)}
    assert all(e.changes["valid_to"] == [None, "2025-12-31"] for e in closed)


def test_merge_moves_open_children(units: dict[str, Any]) -> None:
    other = U.objects.create(code="75", name="Tỉnh Đồng Nai", level=1, kind="tỉnh")
    new = merge_units(
        actor=None,
        sources=[units["hcm"], other],
        into_name="Thành phố Hồ Chí Minh",
        into_code="79",
        effective=JAN_2026,
    )
    assert set(new.children.all()) == {units["new_tdm"], units["new_pl"]}
    # The old tree stays as it was: Bình Dương is not a child, closed units are untouched.
    assert units["tdm"].parent == units["bd"]
    assert resolve_code("79", on=LATER) == [new]
    assert AuditEntry.objects.filter(changes__has_key="children_moved").count() == 1


def test_split_with_weights(units: dict[str, Any], make_user: Any) -> None:
    actor = make_user("officer")
    parts = split_unit(
        actor=actor,
        source=units["new_pl"],
        parts=[("25750", "Phường Phú Lợi", 0.7), ("25751", "Phường Phú Mỹ", 0.3)],
        primary_code="25750",
        effective=JAN_2026,
        basis="Nghị quyết số 2/2026",
    )
    phu_loi, phu_my = parts
    assert (phu_loi.valid_from, phu_my.name, phu_my.parent) == (
        JAN_2026,
        "Phường Phú Mỹ",
        units["hcm"],
    )
    edges = {
        t.target.code: (t.kind, t.weight, t.is_primary)
        for t in T.objects.filter(source=units["new_pl"])
    }
    assert edges == {"25750": ("split", 0.7, True), "25751": ("split", 0.3, False)}
    # Old Phú Hòa (2024) -> Phú Lợi (2025) -> shared 70/30 (2026): weights multiply.
    assert current_successors(units["old"]["25750"], on=LATER) == [(phu_loi, 0.7), (phu_my, 0.3)]
    assert rollup_map(on=LATER)[units["old"]["25750"].pk] == phu_loi.pk
    created = AuditEntry.objects.filter(action="create", actor=actor)
    assert {e.object_id for e in created} == {str(phu_loi.pk), str(phu_my.pk)}


def test_rename(units: dict[str, Any], make_user: Any) -> None:
    actor = make_user("officer")
    old = units["new_tdm"]
    new = rename_unit(
        actor=actor, unit=old, new_name="Phường Phú Cường", effective=JAN_2026, basis="NQ 3/2026"
    )
    old.refresh_from_db()
    assert old.valid_to == dt.date(2025, 12, 31) and old.name == "Phường Thủ Dầu Một"
    assert (new.code, new.level, new.parent, new.name, new.valid_from) == (
        "25747",
        3,
        units["hcm"],
        "Phường Phú Cường",
        JAN_2026,
    )
    assert T.objects.get(source=old, target=new).kind == "rename"
    assert [u.name for u in resolve_code("25747", on=LATER)] == ["Phường Phú Cường"]
    assert [u.name for u in resolve_code("25747", on=dt.date(2025, 9, 1))] == ["Phường Thủ Dầu Một"]
    assert len(resolve_code("25747")) == 3  # 2024's Phú Cường, 2025's Thủ Dầu Một, 2026's
    assert current_successors(units["old"]["25753"], on=LATER) == [(new, 1.0)]
    assert AuditEntry.objects.filter(actor=actor, object_id=str(new.pk), action="create").exists()
    # The renamed unit stays in the area.
    assert new.in_area
    refresh_area(["74"])
    new.refresh_from_db()
    assert new.in_area


def test_rename_province_moves_open_children(units: dict[str, Any]) -> None:
    new = rename_unit(
        actor=None, unit=units["hcm"], new_name="Thành phố Sài Gòn", effective=JAN_2026
    )
    assert set(new.children.all()) == {units["new_tdm"], units["new_pl"]}
    assert new.kind == "thành phố"


@pytest.mark.parametrize(
    ("operation", "english", "vietnamese"),
    [
        (
            lambda u: merge_units(
                actor=None,
                sources=[u["new_tdm"], u["new_pl"]],
                into_name="X",
                into_code="1",
                effective=dt.date(2025, 7, 1),
            ),
            "must be after",
            "phải sau ngày",
        ),
        (
            lambda u: merge_units(
                actor=None,
                sources=[u["old"]["25747"], u["old"]["25753"]],
                into_name="X",
                into_code="1",
                effective=JAN_2026,
            ),
            "is no longer valid",
            "không còn hiệu lực",
        ),
        (
            lambda u: merge_units(
                actor=None,
                sources=[u["new_tdm"], u["hcm"]],
                into_name="X",
                into_code="1",
                effective=JAN_2026,
            ),
            "same level",
            "cùng cấp",
        ),
        (
            lambda u: merge_units(
                actor=None,
                sources=[u["new_tdm"], u["new_tdm"]],
                into_name="X",
                into_code="1",
                effective=JAN_2026,
            ),
            "at least two",
            "ít nhất hai",
        ),
        (
            lambda u: merge_units(
                actor=None,
                sources=[u["new_tdm"], U.objects.create(code="26000", name="Xã Khác", level=3)],
                into_name="X",
                into_code="1",
                effective=JAN_2026,
            ),
            "different parents",
            "cấp trên",
        ),
        (
            lambda u: split_unit(
                actor=None,
                source=u["new_tdm"],
                parts=[("25747", "A", 0.5), ("25750", "B", 0.5)],
                primary_code="25747",
                effective=JAN_2026,
            ),
            "already used by Phường Phú Lợi",
            "đang được dùng",
        ),
        (
            lambda u: split_unit(
                actor=None,
                source=u["new_tdm"],
                parts=[("25747", "A", 0.5), ("25799", "B", 0.4)],
                primary_code="25747",
                effective=JAN_2026,
            ),
            "add up to 1",
            "cộng lại bằng 1",
        ),
        (
            lambda u: split_unit(
                actor=None,
                source=u["new_tdm"],
                parts=[("25747", "A", 0.5), ("25799", "B", 0.5)],
                primary_code="99",
                effective=JAN_2026,
            ),
            "not one of the parts",
            "không nằm trong",
        ),
        (
            lambda u: rename_unit(actor=None, unit=u["new_tdm"], new_name="  ", effective=JAN_2026),
            "name is empty",
            "để trống",
        ),
        (
            lambda u: rename_unit(
                actor=None, unit=u["new_tdm"], new_name="Phường Thủ Dầu Một", effective=JAN_2026
            ),
            "already has that name",
            "đã mang tên này",
        ),
        (
            lambda u: rename_unit(
                actor=None, unit=u["bd"], new_name="Tỉnh Sông Bé", effective=JAN_2026
            ),
            "is no longer valid",
            "không còn hiệu lực",
        ),
    ],
)
def test_invalid_changes_are_refused_in_both_languages(
    units: dict[str, Any], operation: Any, english: str, vietnamese: str
) -> None:
    before = state()
    with pytest.raises(UnitChangeError) as refused:
        operation(units)
    error = refused.value
    assert english in error.en and vietnamese in error.vi
    assert english in str(error) and vietnamese in str(error)
    after = state()
    # A unit created by the test's own set-up (the other parent) is the only difference.
    assert after[1:] == before[1:]
    assert [u for u in after[0] if u["code"] != "26000"] == before[0]


def test_command_merge(units: dict[str, Any], make_user: Any) -> None:
    make_user("operator1", roles=[Role.SYSTEM_ADMIN])
    out = StringIO()
    call_command(
        "units",
        "merge",
        "--into-code",
        "25747",
        "--into-name",
        "Phường Thủ Dầu Một",
        "--effective",
        "2026-01-01",
        "--actor",
        "operator1",
        "25747",
        "25750",
        stdout=out,
    )
    assert "Phường Thủ Dầu Một" in out.getvalue() and "2026-01-01" in out.getvalue()
    (merged,) = resolve_code("25747", on=LATER)
    assert merged.valid_from == JAN_2026
    assert AuditEntry.objects.filter(actor_name="operator1", action="create").count() == 1


@pytest.mark.parametrize(
    ("args", "english", "vietnamese"),
    [
        (["--effective", "1/1/2026", "25747", "25750"], "Bad date", "không hợp lệ"),
        (["--effective", "2026-01-01", "25747", "99999"], "No open unit", "Không có đơn vị"),
        (["--effective", "2026-01-01", "25747", "25753"], "No open unit", "Không có đơn vị"),
        (["--effective", "2025-07-01", "25747", "25750"], "must be after", "phải sau ngày"),
        (
            ["--effective", "2026-01-01", "--actor", "nobody", "25747", "25750"],
            "No user",
            "Không có người dùng",
        ),
    ],
)
def test_command_merge_refuses_bad_input(
    units: dict[str, Any], args: list[str], english: str, vietnamese: str
) -> None:
    before = state()
    with pytest.raises(CommandError) as refused:
        call_command("units", "merge", "--into-code", "1", "--into-name", "X", *args)
    assert english in str(refused.value) and vietnamese in str(refused.value)
    assert state() == before


# -- dates: no future changes; a back-dated change moves only what it can -------------------


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    "operation",
    [
        lambda u, day: merge_units(
            actor=None,
            sources=[u["new_tdm"], u["new_pl"]],
            into_name="Phường Thủ Dầu Một",
            into_code="25747",
            effective=day,
        ),
        lambda u, day: split_unit(
            actor=None,
            source=u["new_pl"],
            parts=[("25750", "Phường Phú Lợi", 0.5), ("25751", "Phường Phú Mỹ", 0.5)],
            primary_code="25750",
            effective=day,
        ),
        lambda u, day: rename_unit(
            actor=None, unit=u["hcm"], new_name="Thành phố Sài Gòn", effective=day
        ),
    ],
    ids=["merge", "split", "rename"],
)
def test_future_changes_are_refused(units: dict[str, Any], operation: Any) -> None:
    """Today's tree must not change ahead of time: record a change once it is in force."""
    before = state()
    with pytest.raises(UnitChangeError) as refused:
        operation(units, tomorrow())
    assert "in the future" in refused.value.en and "on or after the day" in refused.value.en
    assert "chưa đến" in refused.value.vi
    assert state() == before
    assert set(units["hcm"].children.all()) == {units["new_tdm"], units["new_pl"]}
    # The same change on the day it takes effect is recorded.
    operation(units, timezone.localdate())


def test_back_dated_change_moves_only_children_valid_on_the_effective_day(
    units: dict[str, Any],
) -> None:
    hcm = units["hcm"]
    ended_before = U.objects.create(
        code="760", name="Quận 1", level=2, parent=hcm, valid_to=dt.date(2025, 6, 30)
    )
    ended_since = U.objects.create(
        code="26734",
        name="Phường Bến Nghé",
        level=3,
        parent=hcm,
        valid_from=dt.date(2025, 7, 1),
        valid_to=dt.date(2025, 12, 31),
    )
    new = rename_unit(
        actor=None, unit=hcm, new_name="Thành phố Sài Gòn", effective=dt.date(2025, 9, 1)
    )
    # Valid on 1 September 2025: the two open wards and the one that ended in December.
    assert set(new.children.all()) == {units["new_tdm"], units["new_pl"], ended_since}
    ended_before.refresh_from_db()
    assert ended_before.parent == hcm  # ended before the change: the old tree reads as it was


def test_back_dated_change_refuses_a_child_that_began_after_it(units: dict[str, Any]) -> None:
    """A ward recorded from March 2026 under Hồ Chí Minh City cannot follow a change back-dated
    to January: moving it rewrites a later change, leaving it puts it under a closed unit."""
    U.objects.create(
        code="26999",
        name="Phường Mới",
        level=3,
        parent=units["hcm"],
        valid_from=dt.date(2026, 3, 1),
    )
    other = U.objects.create(code="75", name="Tỉnh Đồng Nai", level=1, kind="tỉnh")
    before = state()
    with pytest.raises(UnitChangeError) as refused:
        merge_units(
            actor=None,
            sources=[units["hcm"], other],
            into_name="Thành phố Hồ Chí Minh",
            into_code="79",
            effective=JAN_2026,
        )
    assert "Phường Mới (26999)" in refused.value.en and "2026-03-01" in refused.value.en
    assert "in the order they took effect" in refused.value.en
    assert "theo đúng thứ tự" in refused.value.vi
    assert state() == before
    # From the day the ward began (or later), the change is fine and moves it.
    merged = merge_units(
        actor=None,
        sources=[units["hcm"], other],
        into_name="Thành phố Hồ Chí Minh",
        into_code="79",
        effective=dt.date(2026, 3, 1),
    )
    assert set(merged.children.values_list("code", flat=True)) == {"25747", "25750", "26999"}


# -- a merge's parent; a split's primary code ----------------------------------------------


@pytest.fixture
def dong_nai(units: dict[str, Any]) -> dict[str, Any]:
    """Another province with an open ward, so two wards with different parents."""
    province = U.objects.create(code="75", name="Tỉnh Đồng Nai", level=1, kind="tỉnh")
    ward = U.objects.create(
        code="26041",
        name="Phường Trấn Biên",
        level=3,
        kind="phường",
        parent=province,
        valid_from=dt.date(2025, 7, 1),
    )
    return {"province": province, "ward": ward}


def test_merge_with_a_parent(units: dict[str, Any], dong_nai: dict[str, Any]) -> None:
    merged = merge_units(
        actor=None,
        sources=[units["new_tdm"], dong_nai["ward"]],
        into_name="Phường Biên Hòa",
        into_code="26041",
        effective=JAN_2026,
        parent=dong_nai["province"],
    )
    assert merged.parent == dong_nai["province"]


@pytest.mark.parametrize(
    ("parent", "english", "vietnamese"),
    [
        # A district: today's wards sit right under a province.
        (lambda u, d: u["tdm"], "must be of level 1, not 2", "phải ở cấp 1"),
        # Bình Dương ended on 30 June 2025.
        (lambda u, d: u["bd"], "is not valid on 2026-01-01", "không có hiệu lực"),
        # A ward is no parent for a ward.
        (lambda u, d: u["new_pl"], "must be of level 1, not 3", "phải ở cấp 1"),
    ],
)
def test_merge_refuses_a_wrong_parent(
    units: dict[str, Any], dong_nai: dict[str, Any], parent: Any, english: str, vietnamese: str
) -> None:
    before = state()
    with pytest.raises(UnitChangeError) as refused:
        merge_units(
            actor=None,
            sources=[units["new_tdm"], dong_nai["ward"]],
            into_name="Phường Biên Hòa",
            into_code="26041",
            effective=JAN_2026,
            parent=parent(units, dong_nai),
        )
    assert english in refused.value.en and vietnamese in refused.value.vi
    assert state() == before


def test_merge_of_provinces_takes_no_parent(
    units: dict[str, Any], dong_nai: dict[str, Any]
) -> None:
    with pytest.raises(UnitChangeError) as refused:
        merge_units(
            actor=None,
            sources=[units["hcm"], dong_nai["province"]],
            into_name="Thành phố Hồ Chí Minh",
            into_code="79",
            effective=JAN_2026,
            parent=units["hcm"],
        )
    assert "Provinces have no parent" in refused.value.en and "cấp tỉnh" in refused.value.vi


def test_merge_parent_one_level_up_in_a_three_level_tree(units: dict[str, Any]) -> None:
    """Old-tree style wards under districts: the parent is a district, valid on the day."""
    district = U.objects.create(code="999", name="Huyện Thử", level=2, parent=units["hcm"])
    other = U.objects.create(code="998", name="Huyện Khác", level=2, parent=units["hcm"])
    wards = [
        U.objects.create(code=c, name=f"Xã {c}", level=3, parent=p)
        for c, p in (("29991", district), ("29981", other))
    ]
    with pytest.raises(UnitChangeError) as refused:
        merge_units(
            actor=None,
            sources=wards,
            into_name="Xã Gộp",
            into_code="29991",
            effective=JAN_2026,
            parent=units["hcm"],
        )
    assert "must be of level 2, not 1" in refused.value.en
    merged = merge_units(
        actor=None,
        sources=wards,
        into_name="Xã Gộp",
        into_code="29991",
        effective=JAN_2026,
        parent=district,
    )
    assert merged.parent == district


def test_split_strips_the_primary_code(units: dict[str, Any]) -> None:
    parts = split_unit(
        actor=None,
        source=units["new_pl"],
        parts=[(" 25750 ", "Phường Phú Lợi", 0.7), ("25751", "Phường Phú Mỹ", 0.3)],
        primary_code=" 25750 ",
        effective=JAN_2026,
    )
    assert [p.code for p in parts] == ["25750", "25751"]
    primary = T.objects.get(source=units["new_pl"], is_primary=True)
    assert primary.target.code == "25750"


# -- the command: merge --parent, split, rename, who may act --------------------------------


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user("sysadmin", roles=[Role.SYSTEM_ADMIN])


def test_command_merge_with_parent(
    units: dict[str, Any], dong_nai: dict[str, Any], admin: Any
) -> None:
    args = ["--into-code", "26041", "--into-name", "Phường Biên Hòa", "--effective", "2026-01-01"]
    with pytest.raises(CommandError) as refused:
        call_command("units", "merge", *args, "25747", "26041")
    assert "different parents" in str(refused.value) and "cấp trên" in str(refused.value)
    out = StringIO()
    call_command("units", "merge", *args, "--parent", "75", "25747", "26041", stdout=out)
    assert "< Tỉnh Đồng Nai (75)" in out.getvalue()
    with pytest.raises(CommandError) as unknown:
        call_command("units", "merge", *args, "--parent", "77", "25750", "26041")
    assert "No unit has the code 77" in str(unknown.value)
    assert "Không có đơn vị nào mang mã 77" in str(unknown.value)


def test_command_split(units: dict[str, Any], admin: Any) -> None:
    out = StringIO()
    call_command(
        "units",
        "split",
        "25750",
        "--part",
        "25750:Phường Phú Lợi:0.7",
        "--part",
        "25751:Phường Phú Mỹ:0.3",
        "--primary",
        "25750",
        "--effective",
        "2026-01-01",
        "--basis",
        "NQ 2/2026",
        "--actor",
        "sysadmin",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "Phường Phú Lợi" in lines[0] and "Phường Phú Mỹ" in lines[1]
    edges = {
        t.target.code: (t.weight, t.is_primary, t.basis)
        for t in T.objects.filter(source=units["new_pl"])
    }
    assert edges == {"25750": (0.7, True, "NQ 2/2026"), "25751": (0.3, False, "NQ 2/2026")}
    assert AuditEntry.objects.filter(actor=admin, action="create").count() == 2


def test_command_rename(units: dict[str, Any], admin: Any) -> None:
    out = StringIO()
    call_command(
        "units",
        "rename",
        "25747",
        "--level",
        "3",
        "--name",
        "Phường Phú Cường",
        "--effective",
        "2026-01-01",
        "--actor",
        "sysadmin",
        stdout=out,
    )
    assert "Phường Phú Cường" in out.getvalue() and "2026-01-01" in out.getvalue()
    assert [u.name for u in resolve_code("25747", on=LATER)] == ["Phường Phú Cường"]
    assert AuditEntry.objects.filter(actor=admin, action="create").count() == 1


@pytest.mark.parametrize(
    ("args", "english", "vietnamese"),
    [
        (
            ["split", "25750", "--part", "25750:Phú Lợi", "--part", "25751:Phú Mỹ:0.5"],
            "Bad part '25750:Phú Lợi'",
            "không hợp lệ",
        ),
        (
            ["split", "25750", "--part", "25750:A:0.5", "--part", "25751:B:x"],
            "write CODE:NAME:SHARE",
            "MÃ:TÊN:TỶ LỆ",
        ),
        (
            ["split", "25750", "--part", "25750:A:0.5", "--part", "25751:B:0.4"],
            "add up to 1",
            "cộng lại bằng 1",
        ),
        (["rename", "25753", "--name", "X"], "No open unit", "Không có đơn vị"),
        (["rename", "25747", "--name", "Phường Thủ Dầu Một"], "already has", "đã mang tên"),
    ],
)
def test_command_split_and_rename_refuse_bad_input(
    units: dict[str, Any], args: list[str], english: str, vietnamese: str
) -> None:
    before = state()
    extra = ["--primary", "25750"] if args[0] == "split" else []
    with pytest.raises(CommandError) as refused:
        call_command("units", *args, *extra, "--effective", "2026-01-01")
    assert english in str(refused.value) and vietnamese in str(refused.value)
    assert state() == before


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ({"roles": [Role.SYSTEM_ADMIN]}, True),
        ({"is_superuser": True}, True),
        ({"roles": [Role.SYSTEM_ADMIN], "is_active": False}, False),
        ({"roles": [Role.OPERATOR]}, False),
        ({}, False),
    ],
)
def test_command_actor_must_be_an_active_system_admin(
    units: dict[str, Any], make_user: Any, user: dict[str, Any], allowed: bool
) -> None:
    make_user("someone", **user)
    args = ["rename", "25747", "--level", "3", "--name", "Phường Phú Cường"]
    args += ["--effective", "2026-01-01", "--actor", "someone"]
    if allowed:
        call_command("units", *args, stdout=StringIO())
        assert AuditEntry.objects.filter(actor_name="someone", action="create").count() == 1
        return
    before = state()
    with pytest.raises(CommandError) as refused:
        call_command("units", *args)
    assert "may not change the units" in str(refused.value)
    assert "quản trị hệ thống" in str(refused.value)
    assert state() == before


def test_command_refuses_a_future_date(units: dict[str, Any]) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "units", "rename", "79", "--name", "Thành phố Sài Gòn", "--effective", str(tomorrow())
        )
    assert "in the future" in str(refused.value) and "chưa đến" in str(refused.value)
