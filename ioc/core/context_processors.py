from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    from ioc.core.selectors import area_root_names

    return {
        "ioc_area_name": area_root_names(),
        "portal_name": settings.WAGTAIL_SITE_NAME,
        # For the map page and map tiles: base tiles only when configured (IOC_MAP_TILE_URL).
        "map_config": {
            "tiles": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    }
