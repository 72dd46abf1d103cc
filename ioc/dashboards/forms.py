"""The chart editor's form: a chart's question in fields a sector officer understands (what
to count, by what, over which period), turned into a semantic-layer question and checked
against the dataset before anything is saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ioc.dashboards.models import TILE_KINDS, ChartKind
from ioc.dashboards.query import check_question
from ioc.dashboards.semantic import LEVEL_COLUMNS, QuestionError
from ioc.warehouse.models import Dataset, Indicator
from ioc.warehouse.schema import Role

AGGREGATIONS = [
    ("sum", _("Sum")),
    ("avg", _("Average")),
    ("min", _("Minimum")),
    ("max", _("Maximum")),
    ("count", _("Count of rows")),
    ("count_distinct", _("Count of distinct values")),
    ("last", _("Latest value (stocks)")),
]
GRAINS = [
    ("", _("No time axis")),
    ("hour", _("Hour")),
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
]
LEVELS = [
    ("", _("Not by unit")),
    ("commune", _("Commune or ward (today's)")),
    ("district", _("Former district (before July 2025)")),
    ("province", _("Province")),
    ("recorded", _("Unit as recorded")),
]
OPS = [
    ("", "—"),
    ("eq", "="),
    ("ne", "≠"),
    ("gt", ">"),
    ("gte", "≥"),
    ("lt", "<"),
    ("lte", "≤"),
]
ORDERS = [("", _("By the axis")), ("desc", _("Largest first")), ("asc", _("Smallest first"))]


class ChartForm(forms.Form):
    name = forms.CharField(label=_("Title (Vietnamese)"), max_length=200)
    name_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("Chart type"),
        choices=[(k, label) for k, label in ChartKind.choices if k not in TILE_KINDS],
    )
    dataset = forms.ChoiceField(label=_("Dataset"))
    indicator = forms.ChoiceField(
        label=_("Or an indicator of the catalogue"),
        required=False,
        help_text=_("An indicator brings its dataset, measure, computation and filters."),
    )
    agg = forms.ChoiceField(label=_("What to compute"), choices=AGGREGATIONS, initial="sum")
    column = forms.CharField(label=_("Of the column"), required=False, max_length=63)
    grain = forms.ChoiceField(label=_("Time axis"), choices=GRAINS, required=False)
    level = forms.ChoiceField(label=_("By administrative unit"), choices=LEVELS, required=False)
    category = forms.CharField(label=_("By category"), required=False, max_length=63)
    filter_column = forms.CharField(label=_("Only rows where"), required=False, max_length=63)
    filter_op = forms.ChoiceField(label=_("is"), choices=OPS, required=False)
    filter_value = forms.CharField(label=_("value"), required=False, max_length=200)
    last = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=20,
        help_text=_("For example 12 months, 30 days, 5 years; empty for all the data."),
    )
    order = forms.ChoiceField(label=_("Order"), choices=ORDERS, required=False)
    limit = forms.IntegerField(
        label=_("At most (rows)"), min_value=1, max_value=10_000, initial=500
    )
    w = forms.IntegerField(label=_("Width (of 12)"), min_value=1, max_value=12, initial=6)
    h = forms.IntegerField(label=_("Height (rows)"), min_value=1, max_value=24, initial=4)

    def __init__(self, *args: Any, datasets: list[Dataset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.datasets = {d.slug: d for d in datasets}
        field = self.fields["dataset"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(d.slug, d.label) for d in datasets]
        self.indicators = {
            i.code: i
            for i in Indicator.objects.filter(dataset__in=datasets).select_related("dataset")
        }
        chooser = self.fields["indicator"]
        assert isinstance(chooser, forms.ChoiceField)
        chooser.choices = [("", "—")] + [
            (code, f"{i.label} ({i.dataset.label})") for code, i in sorted(self.indicators.items())
        ]
        self.question: dict[str, Any] = {}

    @staticmethod
    def initial_from(chart: Any) -> dict[str, Any]:
        """The form's fields from a saved chart (questions the form cannot show keep theirs)."""
        q = chart.question
        metric = (q.get("metrics") or [{}])[0]
        schema = chart.dataset.parsed_schema
        unit = schema.with_role(Role.UNIT)
        time = schema.with_role(Role.TIME)
        roles = {c.name: c.role for c in schema.columns}
        dims = {roles.get(d["column"]): d for d in q.get("dimensions") or []}
        flt = (q.get("filters") or [{}])[0]
        order = (q.get("order") or [{}])[0]
        category = next(
            (d["column"] for role, d in dims.items() if role not in (Role.TIME, Role.UNIT)), ""
        )
        value = flt.get("value", "")
        return {
            "name": chart.name,
            "name_en": chart.name_en,
            "kind": chart.kind,
            "dataset": chart.dataset.slug,
            "agg": metric.get("agg", "sum"),
            "column": metric.get("column", ""),
            "indicator": metric.get("indicator", ""),
            "grain": dims[Role.TIME].get("grain", "day") if time and Role.TIME in dims else "",
            "level": dims[Role.UNIT].get("level", "commune") if unit and Role.UNIT in dims else "",
            "category": category,
            "filter_column": flt.get("column", ""),
            "filter_op": flt.get("op", ""),
            "filter_value": "" if isinstance(value, list) else value,
            "last": (q.get("time") or {}).get("last", ""),
            "order": ("desc" if order.get("desc") else "asc") if order else "",
            "limit": q.get("limit", 500),
            "w": chart.w,
            "h": chart.h,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        indicator = self.indicators.get(data.get("indicator") or "")
        if indicator is not None:  # the indicator's dataset, whatever the list shows
            data["dataset"] = indicator.dataset.slug
        dataset = self.datasets.get(data.get("dataset", ""))
        if dataset is None:
            return data
        schema = dataset.parsed_schema
        time = schema.with_role(Role.TIME)
        unit = schema.with_role(Role.UNIT)
        metric: dict[str, Any] = {"id": "v", "agg": data["agg"]}
        if data.get("column"):
            metric["column"] = data["column"]
        if indicator is not None:
            metric = {"id": "v", "indicator": indicator.code}
        dimensions: list[dict[str, Any]] = []
        if data.get("grain"):
            if time is None:
                self.add_error("grain", _("This dataset has no time column."))
            else:
                dimensions.append({"column": time.name, "grain": data["grain"]})
        if data.get("level"):
            if unit is None:
                self.add_error("level", _("This dataset is not kept by administrative unit."))
            elif data["level"] in LEVEL_COLUMNS:
                dimensions.append({"column": unit.name, "level": data["level"]})
        if data.get("category"):
            dimensions.append({"column": data["category"]})
        question: dict[str, Any] = {
            "dataset": dataset.slug,
            "metrics": [metric],
            "dimensions": dimensions,
            "limit": data.get("limit") or 500,
        }
        if data.get("filter_column") and data.get("filter_op"):
            question["filters"] = [
                {
                    "column": data["filter_column"],
                    "op": data["filter_op"],
                    "value": data.get("filter_value", ""),
                }
            ]
        if data.get("last"):
            question["time"] = {"last": data["last"]}
        if data.get("order"):
            question["order"] = [{"by": "v", "desc": data["order"] == "desc"}]
        try:
            check_question(question, self.datasets)
        except QuestionError as exc:
            raise forms.ValidationError(str(exc)) from None
        self.question = question
        data["dataset_obj"] = dataset
        return data


FORM_KEYS = {"dataset", "metrics", "dimensions", "filters", "time", "order", "limit"}


def representable(question: dict[str, Any]) -> bool:
    """Whether the form shows all of a question (else only title, type and size are edited
    here, and the question through its YAML)."""
    metrics = question.get("metrics") or []
    filters = question.get("filters") or []
    time = question.get("time") or {}
    return (
        set(question) <= FORM_KEYS
        and len(metrics) == 1
        and set(metrics[0]) <= {"id", "agg", "column", "label", "indicator"}
        and len(filters) <= 1
        and all(not isinstance(f.get("value"), list) and "level" not in f for f in filters)
        and set(time) <= {"last"}
        and len(question.get("order") or []) <= 1
    )
