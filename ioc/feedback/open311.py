"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): apps list the categories
(services), file reports (service requests) with an API key and follow public reports.

Everything here is parsing and serialising; filing goes through
:func:`ioc.feedback.services.submit_report` with the same checks as the web form, and what
may be shown is :meth:`ReportQuerySet.public` and the public fields only. A response never
holds a reporter's name, phone number, e-mail address, the tracking code, the original
description or the client's IP address: ``description`` is the public text (contacts masked or
a moderator's redaction), the pin is rounded and only photos the reporter agreed to show are
linked.

* Formats: ``.json`` and ``.xml`` (UTF-8, ``<?xml ... encoding="utf-8"?>``); another
  extension answers 404.
* Errors have the spec's body: ``[{"code": 400, "description": "..."}]`` or
  ``<errors><error><code/><description/></error></errors>``, one entry per problem, in the
  request's language (``locale`` parameter, else ``Accept-Language``, else Vietnamese).
* ``jurisdiction_id`` is optional; when given it must be the configured one (a
  ``IOC_OPEN311_JURISDICTION`` setting, when there is one), the site's host name or the
  area's codes (``IOC_AREA``, comma-separated), otherwise 404.
* ``media_url`` given by an app is never fetched (the server would be made to request any
  address: SSRF) nor stored; the app uploads the photo itself as a multipart ``media`` file.
* Extensions: ``page``/``page_size`` on GET requests; ``extensions=true`` adds
  ``extended_attributes`` (our detailed status, the agency's code, the public history, the
  public photos' addresses); ``photos_public=true`` on POST (the reporter agrees that the
  photos are shown); ``token`` in the POST response (the id, as a string).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from ioc.core.middleware import client_ip
from ioc.core.models import Agency
from ioc.core.selectors import area_root_names
from ioc.feedback import services
from ioc.feedback.choices import OPEN, OPEN311_CLOSED, Channel, MediaKind, MediaStage, Status
from ioc.feedback.models import ApiClient, Category, Entry, Media, Report
from ioc.feedback.views import PUBLIC_ENTRY_KINDS

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed in a way clients should notice (discovery's changeset).
CHANGESET = "2026-12-05T00:00:00+07:00"
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DISCOVERY_FORMATS = ["text/xml", "application/json"]
MAX_RESULTS = 1000  # GET requests: at most this many, per the spec (and per page)
MAX_DAYS = 90  # GET requests: the default window and the widest one
MAX_IDS = 1000  # service_request_id=1,2,3...
TRUE = {"true", "1", "yes", "on"}

# XML: the element of each item of a list, by the list's element.
ITEM_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "media_urls": "media_url",
    "notes": "note",
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Where each field the filing checks comes from in an Open311 request.
_PARAMS = {
    "category": "service_code",
    "location": "lat/long",
    "address": "address_string",
    "name": "first_name/last_name",
}


class Open311Error(Exception):
    """An error answered with the spec's error body: ``status`` and one description per
    problem."""

    def __init__(self, status: int, descriptions: Sequence[str]) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)


# --- formats ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    _fill(node, name, value)


def _fill(node: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _element(node, key, child)
    elif isinstance(value, list):
        item = ITEM_ELEMENTS.get(name, "item")
        for child in value:
            _element(node, item, child)
    else:
        node.text = _text(value)


def to_xml(root: str, data: Any) -> str:
    """``data`` (a dict, or a list of items) as the spec's XML under ``root``."""
    node = ET.Element(root)
    _fill(node, root, data)
    body = ET.tostring(node, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}'


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def respond(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    response = HttpResponse(body.encode(), content_type=CONTENT_TYPES[fmt], status=status)
    response["Content-Language"] = translation.get_language() or settings.LANGUAGE_CODE
    return response


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    data = [{"code": status, "description": str(text)} for text in descriptions]
    return respond(fmt, "errors", data, status)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in local time with its offset, e.g. 2026-12-05T10:00:00+07:00."""
    if value is None:
        return None
    return value.astimezone(timezone.get_default_timezone()).replace(microsecond=0).isoformat()


# --- the request -----------------------------------------------------------------------------


def param(request: HttpRequest, name: str) -> str:
    """A parameter from the form body (POST) or the query string."""
    if request.method == "POST" and name in request.POST:
        return str(request.POST.get(name, "")).strip()
    return str(request.GET.get(name, "")).strip()


def _accept_language(header: str) -> list[str]:
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(weighted)]


def language_for(request: HttpRequest) -> str:
    """The ``locale`` parameter (vi, en, en_US), else Accept-Language, else Vietnamese."""
    candidates = [param(request, "locale").replace("_", "-")]
    candidates += _accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return translation.get_supported_language_variant(candidate.lower())
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


def jurisdictions(request: HttpRequest) -> set[str]:
    """The jurisdiction_id values this server answers to."""
    known = {
        settings.IOC_OPEN311_JURISDICTION,
        request.get_host().rsplit(":", 1)[0],
        ",".join(settings.IOC_AREA),
    }
    return {value.lower() for value in known if value}


def check_jurisdiction(request: HttpRequest) -> None:
    given = param(request, "jurisdiction_id")
    if given and given.lower() not in jurisdictions(request):
        raise Open311Error(
            404, [_("jurisdiction_id %(id)s is not served here.") % {"id": given[:60]}]
        )


View = Callable[..., tuple[str, Any, int]]


def endpoint(view: View) -> Callable[..., HttpResponse]:
    """The format from the URL's extension, the language, jurisdiction_id, and errors in the
    spec's body. The view returns (root element, data, status)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        with translation.override(language_for(request)):
            if fmt not in CONTENT_TYPES:
                return error_response(
                    "json", 404, [_("Unknown format %(fmt)s: use json or xml.") % {"fmt": fmt}]
                )
            try:
                check_jurisdiction(request)
                root, data, status = view(request, *args, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error.status, error.descriptions)
            return respond(fmt, root, data, status)

    return wrapper


# --- services --------------------------------------------------------------------------------


def service_categories() -> list[Category]:
    """Active categories that are services: a category with active children is a group."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent"))
    groups = {c.parent_id for c in rows if c.parent_id is not None}
    return [c for c in rows if c.pk not in groups]


def find_service(code: str) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code, is_active=True).select_related("parent").first()
    if category is None or category.children.filter(is_active=True).exists():
        return None
    return category


def _bilingual(item: dict[str, Any], key: str) -> str:
    if translation.get_language() == "en" and item.get(f"{key}_en"):
        return str(item[f"{key}_en"])
    return str(item.get(key) or "")


def service_data(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.label,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def attribute_data(position: int, question: dict[str, Any]) -> dict[str, Any]:
    return {
        "variable": question.get("variable", True) is not False,
        "code": str(question.get("code", "")),
        "datatype": str(question.get("datatype") or "string"),
        "required": bool(question.get("required")),
        "datatype_description": _bilingual(question, "datatype_description") or None,
        "order": int(question.get("order") or position),
        "description": _bilingual(question, "description"),
        "values": [
            {"key": str(value.get("key", "")), "name": _bilingual(value, "name")}
            for value in question.get("values", []) or []
        ],
    }


def definition_data(category: Category) -> dict[str, Any]:
    attributes = [
        attribute_data(position, question)
        for position, question in enumerate(category.attributes or [], start=1)
        if question.get("code")
    ]
    attributes.sort(key=lambda a: a["order"])
    return {"service_code": category.code, "attributes": attributes}


# --- filing ----------------------------------------------------------------------------------


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate(request: HttpRequest) -> ApiClient:
    """The active Open311 client whose key is ``api_key``; 403 otherwise."""
    key = param(request, "api_key")
    client = None
    if key:
        client = ApiClient.objects.filter(
            key_hash=key_hash(key), is_active=True, channel=Channel.OPEN311
        ).first()
    if client is None:
        raise Open311Error(403, [_("api_key: missing, unknown or revoked.")])
    now = timezone.now()
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
    return client


def attributes_from(post: Any) -> dict[str, Any]:
    """``attribute[code]=v`` and, for lists, ``attribute[code][]=v1&attribute[code][]=v2``."""
    answers: dict[str, Any] = {}
    for key in post:
        if not key.startswith("attribute["):
            continue
        name = key[len("attribute[") :]
        if name.endswith("][]"):
            answers[name[:-3]] = [str(v) for v in post.getlist(key)]
        elif name.endswith("]"):
            values = [str(v) for v in post.getlist(key)]
            answers[name[:-1]] = values if len(values) > 1 else values[0]
    return answers


@dataclass
class Filing:
    submission: services.Submission
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    address_id_only: bool = False


def filing_from(request: HttpRequest, client: ApiClient) -> Filing:
    post = request.POST
    code = str(post.get("service_code", "")).strip()
    lat, lon = str(post.get("lat", "")).strip(), str(post.get("long", "")).strip()
    address = str(post.get("address_string", "")).strip()
    names = (str(post.get("first_name", "")).strip(), str(post.get("last_name", "")).strip())
    sub = services.Submission(
        category=code,
        description=str(post.get("description", "")),
        lat=lat or None,
        lon=lon or None,
        address=address,
        name=" ".join(n for n in names if n),
        phone=str(post.get("phone", "")),
        email=str(post.get("email", "")),
        photos_public=str(post.get("photos_public", "")).lower() in TRUE,
        answers=attributes_from(post),
        uploads=[(f.name or "", f) for f in request.FILES.getlist("media")],
        channel=Channel.OPEN311,
        client=client.name,
        client_ip=client_ip(request),
    )
    filing = Filing(sub)
    if not code:
        filing.errors.append(_("service_code: this field is required."))
    elif find_service(code) is None:
        filing.errors.append(
            _("service_code: %(code)s is not a service here (see services.json).") % {"code": code}
        )
    if not lat and not lon and not address and str(post.get("address_id", "")).strip():
        filing.address_id_only = True
        filing.errors.append(
            _(
                "address_id: this jurisdiction has no address register; send lat and long "
                "or address_string."
            )
        )
    if str(post.get("media_url", "")).strip():
        filing.notices.append(
            _("media_url is not fetched: upload the photo as the multipart field media.")
        )
    return filing


def _descriptions(filing: Filing, error: services.ReportError) -> list[str]:
    """The filing's own problems, then the checks' in Open311's parameter names."""
    found = list(filing.errors)
    for name, messages in error.messages().items():
        if name == "category" or (name == "location" and filing.address_id_only):
            continue  # already said, in Open311's words
        label = _PARAMS.get(name, name)
        found.extend(f"{label}: {text}" if label else text for text in messages)
    return found


def file_request(request: HttpRequest) -> tuple[Report, list[str]]:
    """File the POSTed service request: the report and notices for the app. Open311Error
    (403: the key; 400: every problem with the request) and nothing stored otherwise."""
    client = authenticate(request)
    filing = filing_from(request, client)
    try:
        if filing.errors:
            services.check_submission(filing.submission)  # the other problems, to say them all
            raise Open311Error(400, filing.errors)
        report = services.submit_report(filing.submission)
    except services.ReportError as error:
        raise Open311Error(400, _descriptions(filing, error)) from None
    if not report.is_public:  # the abuse filter held it back
        filing.notices.append(_("It is shown in public after a moderator's review."))
    return report, filing.notices


def filed_data(report: Report, notices: Sequence[str] = ()) -> dict[str, Any]:
    said = [
        _("Received: %(agency)s handles it, expected by %(due)s.")
        % {
            "agency": report.agency.label,
            "due": f"{timezone.localtime(report.due_at):%d/%m/%Y %H:%M}",
        },
        *notices,
    ]
    return {
        "service_request_id": str(report.pk),
        "token": str(report.pk),
        "service_notice": " ".join(str(n) for n in said),
        "account_id": None,
    }


# --- reading ---------------------------------------------------------------------------------

# Never loaded for the API: private, or not needed.
PRIVATE_FIELDS = (
    "description",
    "text_folded",
    "answers",
    "name",
    "phone",
    "email",
    "tracking_code",
    "client_ip",
    "client",
    "rating_comment",
)


@dataclass
class Query:
    ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    page: int = 1
    page_size: int = MAX_RESULTS
    extensions: bool = False


def parse_when(name: str, value: str) -> dt.datetime:
    """ISO 8601 (with its offset; without one: local time; a date alone: its midnight)."""
    try:
        when = parse_datetime(value)
        if when is None and (day := parse_date(value)) is not None:
            when = dt.datetime.combine(day, dt.time())
    except ValueError:
        when = None
    if when is None:
        raise Open311Error(
            400,
            [
                _("%(name)s: not an ISO 8601 date and time (e.g. 2026-12-05T10:00:00+07:00).")
                % {"name": name}
            ],
        )
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def _positive(name: str, value: str, default: int, most: int, errors: list[str]) -> int:
    if not value:
        return default
    if not _is_id(value) or not 1 <= int(value) <= most:
        errors.append(
            _("%(name)s: a whole number from 1 to %(most)d.") % {"name": name, "most": most}
        )
        return default
    return int(value)


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _window(
    request: HttpRequest, errors: list[str], now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """start_date..end_date: the last MAX_DAYS days by default; one end given, MAX_DAYS
    from it; both, at most MAX_DAYS apart."""
    bounds: dict[str, dt.datetime | None] = {}
    for name in ("start_date", "end_date"):
        value = param(request, name)
        try:
            bounds[name] = parse_when(name, value) if value else None
        except Open311Error as error:
            errors.extend(error.descriptions)
            return None, None
    start, end = bounds["start_date"], bounds["end_date"]
    window = dt.timedelta(days=MAX_DAYS)
    if end is None:
        end = start + window if start is not None else now
    if start is None:
        start = end - window
    if end < start:
        errors.append(_("end_date is before start_date."))
    elif end - start > window:
        errors.append(
            _("start_date and end_date may not span more than %(n)d days.") % {"n": MAX_DAYS}
        )
    return start, end


def parse_query(request: HttpRequest, now: dt.datetime | None = None) -> Query:
    """GET requests' parameters; Open311Error(400) with every problem."""
    errors: list[str] = []
    query = Query(extensions=param(request, "extensions").lower() in TRUE)
    query.page = _positive("page", param(request, "page"), 1, 1_000_000, errors)
    query.page_size = _positive(
        "page_size", param(request, "page_size"), MAX_RESULTS, MAX_RESULTS, errors
    )
    ids = _split(param(request, "service_request_id"))
    if ids:
        # The spec: a list of ids overrides every other filter.
        if not all(_is_id(i) for i in ids) or len(ids) > MAX_IDS:
            errors.append(
                _("service_request_id: up to %(n)d numbers, separated by commas.") % {"n": MAX_IDS}
            )
        else:
            query.ids = [int(i) for i in ids]
    else:
        query.codes = _split(param(request, "service_code"))
        for status in _split(param(request, "status").lower()):
            if status not in ("open", "closed"):
                errors.append(_("status: open or closed, or both separated by a comma."))
                break
            query.statuses.add(status)
        query.start, query.end = _window(request, errors, now or timezone.now())
    if errors:
        raise Open311Error(400, errors)
    return query


def public_requests(extensions: bool = False) -> QuerySet[Report]:
    """Public reports with what serialising them needs, in a fixed number of queries:
    category and agency joined, the visible photos (and the public history) prefetched."""
    # Lists (to_attr): a related manager per report would cost a queryset clone each.
    related: list[Any] = [
        Prefetch("media", queryset=Media.objects.filter(hidden=False), to_attr="visible_media")
    ]
    if extensions:
        related.append(
            Prefetch(
                "entries",
                queryset=Entry.objects.filter(public=True, kind__in=PUBLIC_ENTRY_KINDS)
                .select_related("agency")
                .order_by("at", "id"),
                to_attr="public_entries",
            )
        )
    return (
        Report.objects.public()
        .defer(*PRIVATE_FIELDS, "category__attributes", "category__description")
        .select_related("category", "agency")
        .prefetch_related(*related)
    )


def find_requests(query: Query) -> list[Report]:
    return list(_filtered(public_requests(query.extensions), query))


def _filtered(reports: QuerySet[Report], query: Query) -> QuerySet[Report]:
    """The page of ``reports`` that ``query`` asks for, newest first."""
    if query.ids:
        reports = reports.filter(pk__in=query.ids)
    else:
        assert query.start is not None and query.end is not None
        reports = reports.filter(received_at__gte=query.start, received_at__lte=query.end)
        if query.statuses == {"open"}:
            reports = reports.filter(status__in=OPEN)
        elif query.statuses == {"closed"}:
            reports = reports.filter(status__in=OPEN311_CLOSED)
        if query.codes:
            # Ids first (a few hundred categories), so the (category, received_at) index
            # serves the filter without a join; a group's code stands for its services.
            categories = list(
                Category.objects.filter(
                    Q(code__in=query.codes) | Q(parent__code__in=query.codes)
                ).values_list("pk", flat=True)
            )
            reports = reports.filter(category_id__in=categories)
    offset = (query.page - 1) * query.page_size
    return reports.order_by("-received_at", "-id")[offset : offset + query.page_size]


# What a listed request shows, read as rows: the list's answer is built from these, the
# categories and agencies (a few hundred) and the first public photos, each read once.
LIST_FIELDS = (
    "pk",
    "status",
    "reject_reason",
    "answer",
    "category_id",
    "agency_id",
    "public_text",
    "received_at",
    "updated_at",
    "due_at",
    "address",
    "lat",
    "lon",
    "photos_public",
)


def list_data(query: Query, request: HttpRequest) -> list[dict[str, Any]]:
    """GET requests: the same items as :func:`request_data`, from rows rather than models.
    A page of 1000 is about 8 ms of SQL; building 1000 reports with their category, agency
    and photos as models cost ten times that (the extensions, with each report's history,
    take the models' way)."""
    if query.extensions:
        return [request_data(r, request, True) for r in find_requests(query)]
    rows = list(_filtered(Report.objects.public(), query).values_list(*LIST_FIELDS))
    if not rows:
        return []
    categories = {
        c.pk: (c.label, c.code) for c in Category.objects.only("pk", "code", "name", "name_en")
    }
    agencies = {
        a.pk: a.label
        for a in Agency.objects.filter(pk__in={r[5] for r in rows}).only("pk", "name", "name_en")
    }
    consent = {r[0]: r[13] for r in rows}
    first_photo: dict[int, tuple[bool, int]] = {}
    photos = Media.objects.filter(report_id__in=list(consent), hidden=False, kind=MediaKind.PHOTO)
    for report_id, pk, stage in photos.values_list("report_id", "pk", "stage"):
        if stage != MediaStage.AFTER and not consent[report_id]:
            continue  # the reporter's photo, without their consent
        rank = (stage != MediaStage.BEFORE, pk)
        if report_id not in first_photo or rank < first_photo[report_id]:
            first_photo[report_id] = rank
    media = request.build_absolute_uri(reverse("feedback:media", args=[0]))
    head, tail = media.rsplit("0", 1)
    found = []
    for (
        pk,
        status,
        reject,
        answer,
        category,
        agency,
        text,
        at,
        updated,
        due,
        where,
        lat,
        lon,
        _p,
    ) in rows:
        name, code = categories[category]
        point = lat is not None and lon is not None
        photo = first_photo.get(pk)
        found.append(
            {
                "service_request_id": str(pk),
                "status": "closed" if status in OPEN311_CLOSED else "open",
                "status_notes": services.mask_contacts(
                    reject if status == Status.REJECTED else answer
                ),
                "service_name": name,
                "service_code": code,
                "description": text,
                "agency_responsible": agencies[agency],
                "service_notice": "",
                "requested_datetime": iso(at),
                "updated_datetime": iso(updated),
                "expected_datetime": iso(due),
                "address": where,
                "address_id": "",
                "zipcode": "",
                "lat": round(lat, 4) if point else None,
                "long": round(lon, 4) if point else None,
                "media_url": f"{head}{photo[1]}{tail}" if photo else "",
            }
        )
    return found


def find_request(request_id: str) -> Report:
    report = None
    if _is_id(request_id):
        report = public_requests(extensions=True).filter(pk=int(request_id)).first()
    if report is None:
        raise Open311Error(
            404, [_("service_request_id %(id)s not found.") % {"id": request_id[:40]}]
        )
    return report


def _absolute(request: HttpRequest, item: Media) -> str:
    return request.build_absolute_uri(reverse("feedback:media", args=[item.pk]))


def request_data(report: Report, request: HttpRequest, extensions: bool = False) -> dict[str, Any]:
    """One service request, public fields only."""
    visible = getattr(report, "visible_media", None)  # prefetched by public_requests()
    if visible is None:
        visible = list(report.media.filter(hidden=False))
    # The reporter's photos first, then the agency's "after" photos.
    shown = sorted(
        (m for m in visible if m.is_public),
        key=lambda m: (m.stage != MediaStage.BEFORE, m.pk),
    )
    photos = [m for m in shown if m.kind == MediaKind.PHOTO]
    point = report.public_point()
    data: dict[str, Any] = {
        "service_request_id": str(report.pk),
        "status": "closed" if report.status in OPEN311_CLOSED else "open",
        "status_notes": services.mask_contacts(
            report.reject_reason if report.status == Status.REJECTED else report.answer
        ),
        "service_name": report.category.label,
        "service_code": report.category.code,
        "description": report.public_text,
        "agency_responsible": report.agency.label,
        "service_notice": "",
        "requested_datetime": iso(report.received_at),
        "updated_datetime": iso(report.updated_at),
        "expected_datetime": iso(report.due_at),
        "address": report.address,
        "address_id": "",
        "zipcode": "",
        "lat": point[1] if point else None,
        "long": point[0] if point else None,
        "media_url": _absolute(request, photos[0]) if photos else "",
    }
    if extensions:
        data["extended_attributes"] = {
            "status": report.status,
            "status_label": status_label(report.status),
            "agency_code": report.agency.code,
            "closed_datetime": iso(report.closed_at),
            "media_urls": [_absolute(request, m) for m in shown],
            "notes": [note_data(entry) for entry in public_entries(report)],
        }
    return data


@functools.lru_cache(maxsize=8)
def _status_labels(language: str) -> dict[str, str]:
    with translation.override(language):
        return {str(value): str(label) for value, label in Status.choices}


def status_label(status: str) -> str:
    """The status's label in the active language (looked up once per language)."""
    labels = _status_labels(translation.get_language() or settings.LANGUAGE_CODE)
    return labels.get(status, "")


def public_entries(report: Report) -> list[Entry]:
    entries = getattr(report, "public_entries", None)  # prefetched by public_requests(True)
    if entries is None:
        entries = list(
            report.entries.filter(public=True, kind__in=PUBLIC_ENTRY_KINDS).select_related("agency")
        )
    return list(entries)


def note_data(entry: Entry) -> dict[str, Any]:
    return {
        "datetime": iso(entry.at),
        "kind": entry.kind,
        "status": entry.to_status,
        "status_label": status_label(entry.to_status),
        "agency": entry.agency.label if entry.agency_id and entry.agency else "",
        "description": services.public_note(entry),
    }


# --- views -----------------------------------------------------------------------------------


@require_safe
@endpoint
def discovery(request: HttpRequest) -> tuple[str, Any, int]:
    url = request.build_absolute_uri(reverse("open311:index"))
    data = {
        "changeset": CHANGESET,
        "contact": _("Intelligent Operations Centre, %(area)s") % {"area": area_root_names()},
        "key_service": _(
            "Ask the operations centre for an API key (it is issued with: ioc open311_key)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(DISCOVERY_FORMATS),
            }
        ],
    }
    return "discovery", data, 200


@require_safe
@endpoint
def service_list(request: HttpRequest) -> tuple[str, Any, int]:
    return "services", [service_data(c) for c in service_categories()], 200


@require_safe
@endpoint
def service_definition(request: HttpRequest, code: str) -> tuple[str, Any, int]:
    category = find_service(code)
    if category is None:
        raise Open311Error(404, [_("service_code %(code)s not found.") % {"code": code[:60]}])
    return "service_definition", definition_data(category), 200


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@endpoint
def service_requests(request: HttpRequest) -> tuple[str, Any, int]:
    if request.method == "POST":
        report, notices = file_request(request)
        return "service_requests", [filed_data(report, notices)], 201
    return "service_requests", list_data(parse_query(request), request), 200


@require_safe
@endpoint
def request_detail(request: HttpRequest, request_id: str) -> tuple[str, Any, int]:
    report = find_request(request_id)
    extensions = param(request, "extensions").lower() in TRUE
    return "service_requests", [request_data(report, request, extensions)], 200


@require_safe
@endpoint
def token(request: HttpRequest, token: str) -> tuple[str, Any, int]:
    """The token is the id (we file synchronously). A report merged into another answers
    with the one it follows now."""
    report = None
    if _is_id(token):
        report = Report.objects.filter(pk=int(token), is_public=True).only("duplicate_of").first()
    if report is None:
        raise Open311Error(404, [_("token %(token)s not found.") % {"token": token[:40]}])
    found = report.duplicate_of_id or report.pk
    return "service_requests", [{"service_request_id": str(found), "token": token}], 200


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The endpoint's base address: to the discovery document."""
    return redirect("open311:discovery", fmt="json")
