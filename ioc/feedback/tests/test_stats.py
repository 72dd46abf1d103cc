"""Reports flow into the warehouse as a dataset, without personal data, and charts read
counts, on-time rate and satisfaction through the semantic layer like any other data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ioc.feedback import services, stats
from ioc.feedback.models import Report
from ioc.feedback.tests.conftest import IN_PHU_LOI, IN_TDM
from ioc.warehouse import writer
from ioc.warehouse.models import Dataset

pytestmark = pytest.mark.django_db


def file(point: tuple[float, float], **fields: Any) -> Report:
    return services.submit_report(
        services.Submission(
            category="rac-thai",
            description="Rác thải đổ trộm ở đầu hẻm 12 đã ba ngày.",
            lat=point[0],
            lon=point[1],
            name="Nguyễn Văn Riêng",
            phone="0912345678",
            answers={"loai": "sinh-hoat"},
            **fields,
        )
    )


def test_reports_become_warehouse_rows_and_changes_follow(area, handlers, warehouse, sectors):
    first, second, third = file(IN_TDM), file(IN_TDM), file(IN_PHU_LOI)
    handler = handlers["operator"]
    services.assign(first, area["agencies"]["ward"], actor=handler)
    services.resolve(first, actor=handler, answer="Đã thu gom rác xong.")
    services.rate(first, rating="satisfied")
    Report.objects.filter(pk=second.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(minutes=5)):
        assert stats.sync() == 3
    dataset = Dataset.objects.get(slug=stats.SLUG)
    assert dataset.row_count == 3 and dataset.last_arrival_at is not None
    rows = writer.execute(
        f"SELECT ma, ma_xa, da_tra_loi, dung_han, qua_han, hai_long FROM data.{stats.SLUG}"
        " ORDER BY ma"
    )
    assert rows == [
        (str(first.pk), "25747", 1, 1, 0, 1),
        (str(second.pk), "25747", 0, 0, 1, 0),
        (str(third.pk), "25750", 0, 0, 0, 0),
    ]
    everything = str(writer.execute(f"SELECT * FROM data.{stats.SLUG}"))
    assert "Nguyễn Văn Riêng" not in everything and "0912345678" not in everything
    # the next sync takes only what changed, and updates it in place (the key is the number)
    with time_machine.travel(start + dt.timedelta(minutes=10)):
        services.assign(third, area["agencies"]["phu_loi"], actor=handler)
        services.resolve(third, actor=handler, answer="Đã xử lý xong rác thải.")
        assert stats.sync() == 1
    assert writer.execute(f"SELECT count(*), sum(da_tra_loi) FROM data.{stats.SLUG}") == [(3, 2)]
