"""Answers remembered a few seconds: reused, forgotten on a change in this process, and
expired after their seconds (what another process's change waits for)."""

from __future__ import annotations

from typing import Any

import pytest

from ioc.core import memo
from ioc.core.memo import remember
from ioc.core.models import Sector

calls: list[str] = []


@remember(10, Sector)
def sector_name(code: str) -> str:
    calls.append(code)
    return Sector.objects.get(code=code).name


@pytest.mark.django_db
def test_remembered_forgotten_on_change_and_after_its_seconds(
    sectors: Any, monkeypatch: Any
) -> None:
    calls.clear()
    sector = Sector.objects.order_by("pk").first()
    assert sector is not None
    now = [1000.0]
    monkeypatch.setattr(memo, "clock", lambda: now[0])
    assert sector_name(sector.code) == sector.name
    assert sector_name(sector.code) == sector.name
    assert calls == [sector.code]  # the second from memory
    sector.name = "Y tế và dân số"
    sector.save()  # a change here: forgotten at once
    assert sector_name(sector.code) == "Y tế và dân số"
    assert len(calls) == 2
    Sector.objects.filter(pk=sector.pk).update(name="Y tế")  # no signal: as another process
    assert sector_name(sector.code) == "Y tế và dân số"
    now[0] += 11
    assert sector_name(sector.code) == "Y tế"
    assert len(calls) == 3
