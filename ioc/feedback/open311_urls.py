"""Open311 GeoReport v2 under /open311/: the discovery document and the API at /open311/v2/.
Each resource ends in its format (``.json`` or ``.xml``); :mod:`ioc.feedback.open311`
answers 404 for any other."""

from django.urls import path, re_path

from ioc.feedback import open311

app_name = "open311"
FORMAT = r"\.(?P<fmt>[^/.]+)$"
urlpatterns = [
    re_path(r"^discovery" + FORMAT, open311.discovery, name="discovery"),
    path("v2/", open311.index, name="index"),
    re_path(r"^v2/services" + FORMAT, open311.service_list, name="services"),
    re_path(r"^v2/services/(?P<code>[^/]+?)" + FORMAT, open311.service_definition, name="service"),
    re_path(r"^v2/requests" + FORMAT, open311.service_requests, name="requests"),
    re_path(
        r"^v2/requests/(?P<request_id>[^/]+?)" + FORMAT, open311.request_detail, name="request"
    ),
    re_path(r"^v2/tokens/(?P<token>[^/]+?)" + FORMAT, open311.token, name="token"),
]
