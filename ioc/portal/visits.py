"""Visit statistics of the portal, kept privately: no cookie, no third-party tracker, no
address stored. Each page served to a reader (from the cache or built) adds one to that
page's count for the day, in this process's memory, written to the database at most every
``FLUSH_SECONDS`` (a crash loses at most those seconds of counting). Programs that say what
they are (search engines' crawlers, monitors, load tools) are not counted.

The periodic job ``portal.visits`` writes the counts into the warehouse as the dataset
``portal_visits`` (a row per page per day), so the IOC charts the portal's reach like any
other figure; the board reads them in the CMS (Reports → Page views).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import Counter
from typing import Any

import pyarrow as pa
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils import timezone

from ioc.jobs.periodic import periodic
from ioc.portal.models import PageVisits
from ioc.warehouse import writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import column
from ioc.warehouse.services import announce_change, ensure_platform_dataset

FLUSH_SECONDS = 10.0
PROGRAMS = re.compile(
    r"bot|crawl|spider|slurp|preview|monitor|check|curl|wget|python|httpx|http-client|"
    r"go-http|java/|okhttp|wrk|apachebench|headless",
    re.IGNORECASE,
)
SLUG = "portal_visits"
COLUMNS = [
    column("ngay", "date", "time", "Ngày", "Day", required=True),
    column("ma_trang", "text", "dimension", "Mã trang", "Page", required=True),
    column("tieu_de", "text", "dimension", "Tiêu đề", "Title"),
    column("chuyen_muc", "text", "dimension", "Chuyên mục", "Section"),
    column("loai_trang", "text", "dimension", "Loại trang", "Page type"),
    column("luot_xem", "integer", "measure", "Lượt xem", "Page views", unit="lượt"),
]
SCHEMA: dict[str, Any] = {"columns": COLUMNS, "key": ["ma_trang", "ngay"]}

_pending: Counter[tuple[int, dt.date]] = Counter()
_lock = threading.Lock()
_flushed = time.monotonic()


def is_reader(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "")
    return bool(agent) and PROGRAMS.search(agent) is None


def count(request: HttpRequest, page_id: int) -> None:
    global _flushed
    if request.method != "GET" or not is_reader(request):
        return
    day = timezone.localdate()
    with _lock:
        _pending[(page_id, day)] += 1
        due = time.monotonic() - _flushed >= FLUSH_SECONDS
        if due:
            _flushed = time.monotonic()
    if due:
        flush()


def flush() -> int:
    """Add this process's counts to the database; the number of views written."""
    with _lock:
        taken = dict(_pending)
        _pending.clear()
    for (page_id, day), views in taken.items():
        with transaction.atomic():
            updated = PageVisits.objects.filter(page_id=page_id, day=day).update(
                views=F("views") + views
            )
            if not updated:
                try:
                    with transaction.atomic():
                        PageVisits.objects.create(page_id=page_id, day=day, views=views)
                except IntegrityError:  # another process made the row meanwhile
                    PageVisits.objects.filter(page_id=page_id, day=day).update(
                        views=F("views") + views
                    )
    return sum(taken.values())


def ensure_dataset() -> Dataset | None:
    return ensure_platform_dataset(
        SLUG,
        SCHEMA,
        name="Lượt xem cổng thông tin",
        name_en="Portal page views",
        description="Mỗi dòng một trang trong một ngày: số lượt xem của người đọc (không tính "
        "chương trình tự động), theo chuyên mục và loại trang.",
        sectors=("thong-tin-truyen-thong", "van-hoa-xa-hoi"),
        cadence="hourly",
    )


@periodic("portal.visits", every=dt.timedelta(minutes=10))
def publish_visits(now: dt.datetime) -> dict[str, Any]:
    """Today's and yesterday's counts into the warehouse (the rows replace themselves)."""
    flushed = flush()
    today = timezone.localdate(now)
    rows = list(
        PageVisits.objects.filter(day__gte=today - dt.timedelta(days=1))
        .select_related("page", "page__content_type")
        .order_by("day", "page_id")
    )
    dataset = ensure_dataset() if rows else None
    if dataset is None:
        return {"flushed": flushed, "rows": 0}
    sections = _sections({row.page for row in rows})
    out: dict[str, list[Any]] = {c["name"]: [] for c in COLUMNS}
    for row in rows:
        out["ngay"].append(row.day)
        out["ma_trang"].append(str(row.page_id))
        out["tieu_de"].append(row.page.title)
        out["chuyen_muc"].append(sections.get(row.page_id))
        out["loai_trang"].append(str(row.page.content_type.model_class()._meta.verbose_name))
        out["luot_xem"].append(row.views)
    table = pa.table(out)
    table = table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    written = writer.write_batch(dataset.slug, dataset.parsed_schema, table, source="portal")
    announce_change(dataset, written)
    return {"flushed": flushed, "rows": int(written.accepted)}


def _sections(pages: set[Any]) -> dict[int, str]:
    """Each page's section: its ancestor just under the home page (or itself)."""
    from wagtail.models import Page

    prefixes = {page.path[: Page.steplen * 3] for page in pages if page.depth >= 3}
    titles = dict(Page.objects.filter(path__in=prefixes).values_list("path", "title"))
    return {
        page.pk: titles.get(page.path[: Page.steplen * 3], "") for page in pages if page.depth >= 3
    }


def totals(days: int = 30) -> dict[str, Any]:
    """The board's report: views in the last ``days`` days, by page and by section."""
    from wagtail.models import Page

    since = timezone.localdate() - dt.timedelta(days=days - 1)
    flush()
    recent = PageVisits.objects.filter(day__gte=since)
    by_page = list(recent.values("page_id").annotate(views=Sum("views")).order_by("-views")[:20])
    pages = {p.pk: p for p in Page.objects.filter(pk__in=[r["page_id"] for r in by_page])}
    all_pages = {p.pk: p for p in Page.objects.filter(pk__in=recent.values("page_id"))}
    sections = _sections(set(all_pages.values()))
    by_section: Counter[str] = Counter()
    for row in recent.values("page_id").annotate(views=Sum("views")):
        by_section[sections.get(row["page_id"]) or "—"] += row["views"]
    by_day = list(recent.values("day").annotate(views=Sum("views")).order_by("day"))
    return {
        "days": days,
        "total": sum(r["views"] for r in by_day),
        "by_day": by_day,
        "by_page": [(pages.get(r["page_id"]), r["views"]) for r in by_page],
        "by_section": by_section.most_common(),
    }
