"""The operational database's own upkeep, as a periodic job: fresh planner statistics.

SQLite has no autovacuum daemon to gather statistics: without ``ANALYZE`` its planner takes
any index on an equality as selective (``duplicate_of_id IS NULL`` over a million reports
looks as good as the index made for the query, and a 10 ms answer takes 600 ms). Run every
six hours and at the first tick after a start; on PostgreSQL it is cheap and harmless beside
autovacuum's.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import connection

from ioc.jobs.periodic import periodic


def analyze() -> float:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.monotonic() - started


@periodic("database.analyze", every=dt.timedelta(hours=6))
def statistics(now: dt.datetime) -> dict[str, Any]:
    return {"vendor": connection.vendor, "seconds": round(analyze(), 3)}
