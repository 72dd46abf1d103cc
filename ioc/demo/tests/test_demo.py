"""`ioc demo`: a believable province, deterministic, and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ioc.accounts.models import User
from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.demo.accounts import DEMO_USERS
from ioc.operations.models import Event


def counts() -> dict[str, int]:
    return {
        "units": AdministrativeUnit.objects.count(),
        "sectors": Sector.objects.count(),
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.mark.django_db
def test_tiny_demo_builds_the_province_and_a_second_run_adds_nothing():
    out = StringIO()
    call_command("demo", scale="tiny", stdout=out)
    first = counts()
    assert first["sectors"] == 19
    assert first["users"] == len(DEMO_USERS)
    assert first["events"] == 6
    # Real names and codes from the loaded trees, in the configured area (former Bình Dương).
    assert AdministrativeUnit.objects.get(code="74", level=1).name == "Tỉnh Bình Dương"
    assert AdministrativeUnit.objects.filter(in_area=True, level=3, valid_to__isnull=True).exists()
    assert Agency.objects.filter(kind="commune").count() == 4
    printed = out.getvalue()
    for demo in DEMO_USERS:
        assert demo.username in printed and demo.password in printed

    call_command("demo", scale="tiny", stdout=StringIO())
    assert counts() == first


@pytest.mark.django_db
def test_every_role_gets_a_user_who_can_log_in():
    call_command("demo", scale="tiny", stdout=StringIO())
    for demo in DEMO_USERS:
        user = User.objects.get(username=demo.username)
        assert user.check_password(demo.password)
        if demo.role is None:
            assert user.is_citizen and not user.roles
        else:
            assert user.roles == {demo.role.value}
    health = User.objects.get(username="yte")
    assert list(health.scope_sectors.values_list("code", flat=True)) == ["y-te"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_demo_refuses_a_database_with_real_users(settings, make_user, debug):
    settings.DEBUG = debug
    make_user("admin")  # e.g. `ioc createadmin admin`, the demo's own admin name
    with pytest.raises(CommandError, match="real users"):
        call_command("demo", scale="tiny", stdout=StringIO())
    assert Sector.objects.count() == 0
    assert not User.objects.get(username="admin").check_password("demo-admin-2025")


@pytest.mark.django_db
def test_demo_runs_again_after_citizens_signed_up(make_user):
    call_command("demo", scale="tiny", stdout=StringIO())
    make_user("citizen.signed.up", kind="citizen")
    call_command("demo", scale="tiny", stdout=StringIO())  # a second `make demo` still works
    assert Sector.objects.count() == 19
