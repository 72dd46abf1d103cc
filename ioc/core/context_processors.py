from typing import Any

from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    from ioc.core.selectors import area_root_names

    return {"ioc_area_name": area_root_names()}
