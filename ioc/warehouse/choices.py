"""Display names of the schema's column types and roles (the schema module stays free of
Django; these are what people read)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ioc.warehouse.schema import ColumnType, Role

TYPE_LABELS: dict[ColumnType, Promise] = {
    ColumnType.TEXT: _("text"),
    ColumnType.INTEGER: _("whole number"),
    ColumnType.DECIMAL: _("decimal number"),
    ColumnType.BOOLEAN: _("yes/no"),
    ColumnType.DATE: _("date"),
    ColumnType.TIMESTAMP: _("date and time"),
}

ROLE_LABELS: dict[Role, Promise] = {
    Role.TIME: _("time of the record"),
    Role.UNIT: _("administrative unit"),
    Role.LAT: _("latitude"),
    Role.LON: _("longitude"),
    Role.DIMENSION: _("category (group by)"),
    Role.MEASURE: _("measure (add up)"),
    Role.ATTRIBUTE: _("attribute"),
}
