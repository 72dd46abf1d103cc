"""Our REST API at /api/ (OpenAPI document at /api/openapi.json). Each app adds a router."""

from ninja import NinjaAPI
from ninja.security import django_auth

from ioc.cameras.api import router as cameras_router
from ioc.core.api import router as core_router
from ioc.core.units.api import router as units_router
from ioc.dashboards.api import router as dashboards_router
from ioc.integrations.api import router as datasets_router
from ioc.maps.api import router as maps_router
from ioc.operations.api import router as operations_router

api = NinjaAPI(
    title="IOC API",
    version="1",
    description="Intelligent Operations Centre. Session authentication; every list is "
    "limited to the caller's scope.",
    auth=django_auth,
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
)
api.add_router("/", core_router)
api.add_router("/units/", units_router)
api.add_router("/events/", operations_router)
api.add_router("/datasets/", datasets_router)
api.add_router("/dashboards/", dashboards_router)
api.add_router("/maps/", maps_router)
api.add_router("/cameras/", cameras_router)
