"""The shared database on /api/datasets/.

* ``GET /api/datasets/`` and ``/api/datasets/<name>/``: the catalogue within the caller's
  scope (session authentication, ``warehouse.view_dataset``).
* ``GET /api/datasets/dcat.json`` (public): DCAT metadata (JSON-LD, DCAT-AP style) of the
  open datasets, for the national open-data portal and harvesters.
* ``GET /api/datasets/<name>/download/<csv|parquet|xlsx>`` (public, open datasets only):
  the distribution the DCAT record points to. Each download is audited.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja.errors import HttpError

from ioc.accounts.access import current_user, permission_reason
from ioc.integrations.downloads import send_export
from ioc.warehouse import export
from ioc.warehouse.access import visible_datasets
from ioc.warehouse.models import Dataset

router = Router(tags=["datasets"])

# Dublin Core accrual periodicity (the EU vocabulary DCAT-AP uses).
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
CADENCE_FREQUENCY = {
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "continuous": "CONT",
    "irregular": "IRREG",
}


class ColumnOut(Schema):
    name: str
    type: str
    role: str
    label: str
    label_en: str
    unit: str


class DatasetOut(Schema):
    name: str
    title: str
    title_en: str
    description: str
    sector: str
    owner: str
    rows: int
    cadence: str
    freshness: str
    last_arrival_at: str | None
    open: bool
    columns: list[ColumnOut]


def _out(dataset: Dataset) -> DatasetOut:
    return DatasetOut(
        name=dataset.slug,
        title=dataset.name,
        title_en=dataset.name_en,
        description=dataset.description,
        sector=dataset.sector.code,
        owner=dataset.owner.code,
        rows=dataset.row_count,
        cadence=dataset.cadence,
        freshness=dataset.freshness.status.value,
        last_arrival_at=dataset.last_arrival_at.isoformat() if dataset.last_arrival_at else None,
        open=dataset.is_open,
        columns=[
            ColumnOut(**c.model_dump(mode="json", exclude={"required"}))
            for c in dataset.parsed_schema.columns
        ],
    )


def _visible(request: HttpRequest) -> Any:
    user = current_user(request)
    if user is None or user.is_citizen or not user.has_perm("warehouse.view_dataset"):
        raise HttpError(403, permission_reason("warehouse.view_dataset"))
    return visible_datasets(user).select_related("sector", "owner")


@router.get("/", response=list[DatasetOut])
def list_datasets(request: HttpRequest) -> list[DatasetOut]:
    return [_out(d) for d in _visible(request)]


@router.get("/dcat.json", auth=None)
def dcat(request: HttpRequest) -> dict[str, Any]:
    """The open datasets as a DCAT catalogue (JSON-LD)."""
    base = request.build_absolute_uri("/")[:-1]
    datasets = Dataset.objects.filter(is_open=True).select_related("sector", "owner")
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@type": "dcat:Catalog",
        "dct:title": [
            {"@language": "vi", "@value": "Cơ sở dữ liệu dùng chung: dữ liệu mở"},
            {"@language": "en", "@value": "Shared database: open data"},
        ],
        "dcat:dataset": [_dcat_dataset(d, base) for d in datasets],
    }


def _dcat_dataset(dataset: Dataset, base: str) -> dict[str, Any]:
    titles = [{"@language": "vi", "@value": dataset.name}]
    if dataset.name_en:
        titles.append({"@language": "en", "@value": dataset.name_en})
    return {
        "@id": f"{base}/api/datasets/{dataset.slug}/",
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.slug,
        "dct:title": titles,
        "dct:description": dataset.description,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": dataset.owner.name},
        "dcat:theme": dataset.sector.name,
        "dct:license": dataset.licence,
        "dct:accrualPeriodicity": {"@id": FREQUENCY + CADENCE_FREQUENCY[dataset.cadence]},
        "dct:modified": dataset.last_arrival_at.isoformat() if dataset.last_arrival_at else None,
        "dcat:keyword": [c.label for c in dataset.parsed_schema.columns if c.label],
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dcat:downloadURL": base
                + reverse("api:open_download", kwargs={"slug": dataset.slug, "fmt": fmt}),
                "dcat:mediaType": export.CONTENT_TYPES[fmt].split(";")[0],
                "dct:format": fmt.upper(),
            }
            for fmt in ("csv", "parquet")
        ],
    }


@router.get("/{slug}/", response=DatasetOut)
def get_dataset(request: HttpRequest, slug: str) -> DatasetOut:
    dataset = _visible(request).filter(slug=slug).first()
    if dataset is None:
        raise Http404
    return _out(dataset)


@router.get("/{slug}/download/{fmt}", auth=None, url_name="open_download")
def open_download(request: HttpRequest, slug: str, fmt: str) -> FileResponse:
    dataset = Dataset.objects.filter(slug=slug, is_open=True).first()
    if dataset is None or fmt not in ("csv", "parquet"):
        raise Http404
    return send_export(request, dataset, fmt, note="open data ")
