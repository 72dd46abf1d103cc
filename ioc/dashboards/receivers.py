"""What the dashboards do when a dataset changes: refresh its rollups (incrementally).

Caches need nothing here: a cached answer checks the dataset's changes itself (see
:func:`ioc.dashboards.query.still_valid`), which also works across processes.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ioc.dashboards.rollups import refresh_dataset
from ioc.warehouse.models import Dataset
from ioc.warehouse.services import dataset_changed


@receiver(dataset_changed, dispatch_uid="dashboards.refresh_rollups")
def refresh_rollups(sender: Any, dataset: Dataset, **kwargs: Any) -> None:
    refresh_dataset(dataset)
