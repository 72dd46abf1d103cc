"""Units (public), sectors and agencies (scoped) on /api/."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.core.models import Agency, Sector

router = Router(tags=["core"])


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


@router.get("/agencies/", response=list[AgencyOut])
def list_agencies(request: HttpRequest) -> list[AgencyOut]:
    qs = visible(request.user, Agency.objects.all()).select_related("unit")
    return [_agency_out(a) for a in qs.prefetch_related("sectors")]


@router.get("/agencies/{agency_id}/", response=AgencyOut)
def get_agency(request: HttpRequest, agency_id: int) -> AgencyOut:
    try:
        return _agency_out(access(request.user, Agency, agency_id))
    except ScopeDenied:
        raise Http404 from None
