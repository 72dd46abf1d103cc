"""The connection form: what a data engineer fills in to add or change a feed."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ioc.integrations.connectors.base import registry
from ioc.warehouse.models import Dataset

EXAMPLES: dict[str, dict[str, Any]] = {
    "file": {"path": "/srv/ioc/drop/so-y-te", "pattern": "*.csv", "encoding": "auto"},
    "push": {"format": "auto", "max_bytes": 52428800},
    "mqtt": {
        "host": "mqtt.tinh.gov.vn",
        "topics": ["quan-trac/{tram}/muc-nuoc"],
        "username": "ioc",
        "password": "...",
    },
    "rest": {
        "url": "https://api.so-x.gov.vn/v1/ho-so?tu_ngay={since}",
        "records_path": "data",
        "pagination": {"kind": "page", "page_param": "page", "size_param": "size", "size": 100},
        "auth": {"kind": "bearer", "token": "..."},
        "watermark_field": "ngay_cap_nhat",
    },
    "sql": {
        "url": "postgresql+psycopg://ioc:...@db.so-x.gov.vn/so_x",
        "table": "public.ho_so",
        "watermark_column": "updated_at",
    },
}


class JsonField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"})

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON: %(error)s") % {"error": exc}
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("Write a JSON object: {...}"))
        return data

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class ConnectionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Connector"))
    dataset = forms.ModelChoiceField(label=_("Dataset"), queryset=Dataset.objects.none())
    interval_minutes = forms.IntegerField(
        label=_("Every (minutes)"), required=False, min_value=1, max_value=525_600
    )
    cron = forms.CharField(
        label=_("Or a cron schedule"),
        required=False,
        max_length=100,
        help_text=_('For example "0 17 * * 1-5": 17:00 on working days.'),
    )
    timezone = forms.CharField(label=_("Time zone"), initial="Asia/Ho_Chi_Minh", max_length=50)
    config = JsonField(
        label=_("Settings (JSON)"),
        help_text=_(
            "Passwords and keys are stored encrypted and shown as ********; "
            "leave the stars to keep them."
        ),
    )
    mapping = JsonField(
        label=_("Mapping (JSON, optional)"),
        required=False,
        help_text=_(
            'Empty: columns are matched by name. Otherwise {"fields": [{"column": "...", '
            '"source": "...", "date_format": "%d/%m/%Y"}], "rules": [...]}.'
        ),
    )

    def __init__(self, datasets: QuerySet[Dataset], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = datasets  # type: ignore[attr-defined]
        self.fields["kind"].choices = [  # type: ignore[attr-defined]
            (key, str(cls.label)) for key, cls in sorted(registry().items())
        ]
