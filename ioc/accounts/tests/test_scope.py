"""The scope API itself: which units a scope covers, visible(), access(), deny by default."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count

from ioc.accounts.choices import Role
from ioc.accounts.scope import (
    ScopeDenied,
    access,
    can_see,
    expand_units,
    forget,
    scope_for,
    visible,
)
from ioc.core.models import AdministrativeUnit, Agency, Sector, UnitTransition


def _codes(ids: set[int]) -> set[tuple[str, str]]:
    return {(u.code, u.name) for u in AdministrativeUnit.objects.filter(pk__in=ids)}


def test_a_new_ward_covers_the_wards_merged_into_it(units: dict[str, Any]) -> None:
    covered = _codes(expand_units({units["new_tdm"].pk}))
    assert covered == {
        ("25747", "Phường Thủ Dầu Một"),
        ("25747", "Phường Phú Cường"),
        ("25753", "Phường Phú Thọ"),
        ("25756", "Phường Chánh Nghĩa"),
    }


def test_an_old_ward_covers_what_it_became_but_not_its_merge_partners(
    units: dict[str, Any],
) -> None:
    covered = _codes(expand_units({units["old"]["25747"].pk}))
    assert covered == {("25747", "Phường Phú Cường"), ("25747", "Phường Thủ Dầu Một")}


def test_a_province_covers_its_tree_and_the_old_province_merged_into_it(
    units: dict[str, Any],
) -> None:
    assert expand_units({units["hcm"].pk}) == set(
        AdministrativeUnit.objects.values_list("pk", flat=True)
    )


def test_one_half_of_a_split_does_not_see_the_other_half(units: dict[str, Any]) -> None:
    day = dt.date(2026, 1, 1)
    whole = AdministrativeUnit.objects.create(code="90001", name="Xã Cũ", level=3)
    north = AdministrativeUnit.objects.create(code="90002", name="Xã Bắc", level=3)
    south = AdministrativeUnit.objects.create(code="90003", name="Xã Nam", level=3)
    for part in (north, south):
        UnitTransition.objects.create(kind="split", source=whole, target=part, effective=day)
    assert expand_units({north.pk}) == {north.pk, whole.pk}
    assert expand_units({whole.pk}) == {whole.pk, north.pk, south.pk}


def test_abolished_levels_carry_no_territory(units: dict[str, Any]) -> None:
    UnitTransition.objects.create(
        kind="abolish", source=units["tdm"], target=units["hcm"], effective=dt.date(2025, 7, 1)
    )
    assert units["hcm"].pk not in expand_units({units["tdm"].pk})
    assert units["tdm"].pk in expand_units({units["hcm"].pk})


def test_records_of_old_wards_reach_the_new_wards_officer(
    units: dict[str, Any], make_user: Any
) -> None:
    officer = make_user("ward", roles=[Role.FEEDBACK_HANDLER], units=[units["new_tdm"]])
    # Incidental data: agencies filed under the pre-2025 ward codes.
    old = Agency.objects.create(
        code="ubnd-phu-cuong",
        name="UBND phường Phú Cường",
        kind="commune",
        unit=units["old"]["25747"],
    )
    other = Agency.objects.create(
        code="ubnd-phu-loi",
        name="UBND phường Phú Lợi",
        kind="commune",
        unit=units["old"]["25744"],
    )
    seen = set(visible(officer, Agency.objects.all()))
    assert old in seen
    assert other not in seen


def test_dimensions_combine_with_and(
    units: dict[str, Any], sectors: dict[str, Any], agencies: dict[str, Any], make_user: Any
) -> None:
    user = make_user("both", units=[units["new_tdm"]], sectors=[sectors["health"]])
    assert list(visible(user, Agency.objects.all())) == [agencies["ward"]]


def test_no_duplicates_and_aggregates_stay_right(
    sectors: dict[str, Any], agencies: dict[str, Any], make_user: Any
) -> None:
    user = make_user("two", sectors=[sectors["health"], sectors["traffic"]])
    qs = visible(user, Agency.objects.all())
    assert qs.count() == 3
    assert sorted(a.code for a in qs) == ["so-gtvt", "so-y-te", "ubnd-thu-dau-mot"]
    counts = dict(qs.annotate(n=Count("sectors")).values_list("code", "n"))
    assert counts == {"so-y-te": 1, "so-gtvt": 1, "ubnd-thu-dau-mot": 2}


@pytest.mark.parametrize(
    "who",
    ["anonymous", "none", "empty-scope", "inactive", "citizen-with-scope"],
    ids=str,
)
def test_deny_by_default(
    who: str, sectors: dict[str, Any], agencies: dict[str, Any], make_user: Any
) -> None:
    user: Any
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "none":
        user = None
    elif who == "empty-scope":
        user = make_user("empty", roles=[Role.SECTOR_OFFICER])
    elif who == "inactive":
        user = make_user("gone", sectors=[sectors["health"]], is_active=False)
    else:
        user = make_user("citizen", sectors=[sectors["health"]], kind="citizen")
    assert scope_for(user).empty
    assert not visible(user, Agency.objects.all()).exists()
    assert not can_see(user, agencies["health"])
    with pytest.raises(ScopeDenied):
        access(user, Agency, agencies["health"].pk)


@pytest.mark.parametrize("who", ["scope_all", "superuser"], ids=str)
def test_area_wide_users_see_everything(who: str, agencies: dict[str, Any], make_user: Any) -> None:
    user = (
        make_user("all", scope_all=True)
        if who == "scope_all"
        else make_user("root", is_superuser=True)
    )
    assert visible(user, Agency.objects.all()).count() == Agency.objects.count()


def test_access_hides_what_is_out_of_scope(
    sectors: dict[str, Any], agencies: dict[str, Any], make_user: Any
) -> None:
    user = make_user("yte", sectors=[sectors["health"]])
    assert access(user, Agency, agencies["health"].pk) == agencies["health"]
    for pk in (agencies["traffic"].pk, 999_999, "not-a-number", None):
        with pytest.raises(ScopeDenied):
            access(user, Agency, pk)


def test_unscoped_models_cannot_be_filtered(make_user: Any, db: Any) -> None:
    user = make_user("root", is_superuser=True)
    with pytest.raises(TypeError, match="scope_paths"):
        visible(user, Sector.objects.all())


def test_scope_is_cached_until_forgotten(
    sectors: dict[str, Any], agencies: dict[str, Any], make_user: Any
) -> None:
    user = make_user("yte", sectors=[sectors["health"]])
    assert not can_see(user, agencies["traffic"])
    user.scope_sectors.add(sectors["traffic"])
    assert not can_see(user, agencies["traffic"])  # cached for this user object
    forget(user)
    assert can_see(user, agencies["traffic"])
