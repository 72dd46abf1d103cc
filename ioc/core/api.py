"""Units (public), sectors and agencies (scoped) on /api/.

Agencies need ``core.view_agency`` to be read (403 without, like the HTML pages) and
``core.change_agency`` to be changed; an agency outside the caller's scope answers 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from ioc.accounts.access import current_user, permission_reason
from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.core import services
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit, Agency, Sector

router = Router(tags=["core"])

VIEW_AGENCY = "core.view_agency"

# Service errors are keyed by model field; the API's callers know the payload's names.
PAYLOAD_NAMES = {"parent": "parent_id", "unit": "unit_id", "sectors": "sector_codes"}


class SectorOut(Schema):
    id: int
    code: str
    name: str
    name_en: str


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    unit_code: str
    sector_codes: list[str]


class AgencyPatch(Schema):
    """Only the fields sent are changed. ``parent_id: null`` removes the supervising agency."""

    name: str | None = None
    name_en: str | None = None
    short_name: str | None = None
    kind: str | None = None
    email: str | None = None
    phone: str | None = None
    is_active: bool | None = None
    parent_id: int | None = None
    unit_id: int | None = None
    sector_codes: list[str] | None = None


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


def _agency_out(a: Agency) -> AgencyOut:
    return AgencyOut(
        id=a.pk,
        code=a.code,
        name=a.name,
        kind=a.kind,
        unit_code=a.unit.code,
        sector_codes=[s.code for s in a.sectors.all()],
    )


@router.get("/sectors/", response=list[SectorOut])
def list_sectors(request: HttpRequest) -> list[Sector]:
    return list(Sector.objects.all())


def _require_view_agency(request: HttpRequest) -> None:
    """403 (audited) unless the caller holds core.view_agency, as on the HTML pages."""
    user = current_user(request)
    if user is not None and not user.is_citizen and user.has_perm(VIEW_AGENCY):
        return
    record(
        actor=user,
        action=AuditAction.DENIED,
        message=f"{request.method} {request.path}: no {VIEW_AGENCY} permission",
    )
    raise HttpError(403, permission_reason(VIEW_AGENCY))


@router.get("/agencies/", response={200: list[AgencyOut], 403: ErrorOut})
def list_agencies(request: HttpRequest) -> list[AgencyOut]:
    _require_view_agency(request)
    qs = visible(request.user, Agency.objects.all()).select_related("unit")
    return [_agency_out(a) for a in qs.prefetch_related("sectors")]


@router.get("/agencies/{agency_id}/", response={200: AgencyOut, 403: ErrorOut, 404: ErrorOut})
def get_agency(request: HttpRequest, agency_id: int) -> AgencyOut:
    _require_view_agency(request)
    try:
        return _agency_out(access(request.user, Agency, agency_id))
    except ScopeDenied:
        raise Http404 from None


def _changes(request: HttpRequest, agency: Agency, payload: AgencyPatch) -> dict[str, Any]:
    """The payload as service arguments; ValidationError for references that do not resolve."""
    data = payload.dict(exclude_unset=True)
    errors: dict[str, list[str]] = {}
    if "sector_codes" in data:
        codes = data.pop("sector_codes") or []
        sectors = list(Sector.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {s.code for s in sectors})
        if missing:
            errors["sector_codes"] = [
                _("Unknown sector: %(codes)s") % {"codes": ", ".join(missing)}
            ]
        data["sectors"] = sectors
    parent_id = data.get("parent_id")
    # Only an agency the caller can see may become the supervising agency.
    if (
        parent_id is not None
        and parent_id != agency.parent_id
        and not visible(request.user, Agency.objects.filter(pk=parent_id)).exists()
    ):
        errors["parent_id"] = [_("No such agency.")]
    unit_id = data.get("unit_id")
    if unit_id is not None and not AdministrativeUnit.objects.filter(pk=unit_id).exists():
        errors["unit_id"] = [_("No such administrative unit.")]
    if errors:
        raise ValidationError(errors)
    return data


@router.patch(
    "/agencies/{agency_id}/",
    response={200: AgencyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def patch_agency(
    request: HttpRequest, agency_id: int, payload: AgencyPatch
) -> Status[AgencyOut | ErrorOut]:
    """Change an agency: 404 outside your scope, 403 without the permission (or when the change
    would move it outside your scope, or take away a sector outside it), 400 for invalid values
    (a supervising agency that is the agency itself or one of its subordinates, a unit that is
    not a current unit of the area). Audited."""
    try:
        agency = access(request.user, Agency, agency_id)
    except ScopeDenied:
        return Status(404, ErrorOut(detail=_("No such agency.")))
    try:
        services.check_agency_change(actor=request.user, agency=agency)
        changes = _changes(request, agency, payload)
        updated = services.update_agency(actor=request.user, agency=agency, **changes)
    except PermissionDenied as exc:
        return Status(403, ErrorOut(detail=str(exc) or _("You may not change this agency.")))
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        errors = {PAYLOAD_NAMES.get(name, name): texts for name, texts in errors.items()}
        return Status(400, ErrorOut(detail=_("The values are not valid."), errors=errors))
    return Status(200, _agency_out(updated))
