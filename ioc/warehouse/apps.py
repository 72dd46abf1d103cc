from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarehouseConfig(AppConfig):
    name = "ioc.warehouse"
    label = "warehouse"
    verbose_name = _("Warehouse")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_warehouse, dispatch_uid="ioc.warehouse.ensure")


def _ensure_warehouse(**kwargs: object) -> None:
    """`ioc migrate` creates the warehouse file too (infrastructure, not domain flow)."""
    from ioc.warehouse.db import ensure_warehouse

    ensure_warehouse()
