"""Open311 GeoReport v2 conformance, in JSON and XML: discovery, services, service
definitions, filing (API key, attributes, photos, every error in the spec's body, nothing
stored on error), tokens, the requests list and its filters, one request, and no personal
data in any response. docs/guide/open311.md maps each point of the spec to these tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from PIL import Image

from ioc.core.models import AuditEntry
from ioc.feedback import open311, services
from ioc.feedback.choices import Status
from ioc.feedback.management.commands.open311_key import issue
from ioc.feedback.models import ApiClient, Category, Media, Report
from ioc.feedback.tests.conftest import IN_PHU_LOI, IN_TDM, OUTSIDE, jpeg_with_gps

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "Trần Thị Riêngtư", "0987654321", "riengtu@example.vn"
CLIENT_IP = "203.0.113.77"
API = "/open311/v2"
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
FORMATS = ["json", "xml"]


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def key(area: Any) -> str:
    return issue("Ứng dụng Bình Dương")[1]


def client(language: str = "") -> Client:
    headers = {"accept-language": language} if language else {}
    return Client(REMOTE_ADDR=CLIENT_IP, headers=headers)


def photo(name: str = "anh.jpg") -> Any:
    upload = io.BytesIO(jpeg_with_gps())
    upload.name = name
    return upload


def fields(key: str, /, **extra: Any) -> dict[str, Any]:
    """A valid request; ``extra`` changes fields (None: leaves one out)."""
    base = {
        "api_key": key,
        "service_code": "rac-thai",
        "lat": str(IN_TDM[0]),
        "long": str(IN_TDM[1]),
        "description": f"Rác đổ trộm đầu hẻm 12, gọi {PHONE} nếu cần.",
        "first_name": NAME.split()[0],
        "last_name": " ".join(NAME.split()[1:]),
        "phone": PHONE,
        "email": EMAIL,
        "attribute[loai]": "sinh-hoat",
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def parse(response: Any, fmt: str) -> Any:
    """The body as Python data (XML: the root element)."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def errors_of(response: Any, fmt: str, status: int) -> list[str]:
    """The descriptions of the spec's error body, checking its shape."""
    assert response.status_code == status, response.content
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and body
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
        return [e["description"] for e in body]
    assert body.tag == "errors"
    assert [e.tag for e in body] == ["error"] * len(body) and len(body)
    assert all([c.tag for c in e] == ["code", "description"] for e in body)
    assert all(e.findtext("code") == str(status) for e in body)
    return [e.findtext("description") or "" for e in body]


def file(point: tuple[float, float] = IN_TDM, **extra: Any) -> Report:
    """A report filed through the services, as this API does."""
    values: dict[str, Any] = {
        "category": "rac-thai",
        "description": f"Rác thải đổ trộm ở đầu hẻm 12, gọi {PHONE}.",
        "lat": point[0],
        "lon": point[1],
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "answers": {"loai": "sinh-hoat"},
        "channel": "open311",
        "client": "Ứng dụng thử",
        "client_ip": CLIENT_IP,
    }
    values.update(extra)
    return services.submit_report(services.Submission(**values))


def age(report: Report, days: float) -> Report:
    Report.objects.filter(pk=report.pk).update(received_at=timezone.now() - dt.timedelta(days=days))
    report.refresh_from_db()
    return report


def get_requests(fmt: str = "json", **params: Any) -> Any:
    return client().get(f"{API}/requests.{fmt}", params)


def ids(response: Any, fmt: str = "json") -> list[str]:
    assert response.status_code == 200, response.content
    body = parse(response, fmt)
    if fmt == "json":
        return [r["service_request_id"] for r in body]
    assert body.tag == "service_requests"
    return [r.findtext("service_request_id") or "" for r in body]


# --- discovery -------------------------------------------------------------------------------


def test_discovery_in_json_and_xml(area):
    body = parse(client().get("/open311/discovery.json"), "json")
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver/open311/v2/",
        "changeset": open311.CHANGESET,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    assert OFFSET.match(body["changeset"])
    root = parse(client().get("/open311/discovery.xml"), "xml")
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    (node,) = root.find("endpoints") or []
    assert node.tag == "endpoint"
    assert node.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert node.findtext("type") == "production"
    assert [f.text for f in node.findall("formats/format")] == ["text/xml", "application/json"]
    # the base address leads to the discovery document
    assert client().get(f"{API}/")["Location"] == "/open311/discovery.json"


def test_an_unknown_format_or_jurisdiction_is_404(area):
    assert errors_of(client().get(f"{API}/services.html"), "json", 404)
    assert errors_of(client().get("/open311/discovery.yaml"), "json", 404)
    assert errors_of(client().get(f"{API}/services.JSON"), "json", 404)
    for fmt in FORMATS:
        url = f"{API}/services.{fmt}"
        assert errors_of(client().get(url, {"jurisdiction_id": "hanoi.gov.vn"}), fmt, 404)
        # the site's host and the area's code are this jurisdiction; without one, too
        for known in ("testserver", "74", ""):
            assert client().get(url, {"jurisdiction_id": known}).status_code == 200


def test_a_configured_jurisdiction_id(area, settings):
    settings.IOC_OPEN311_JURISDICTION = "binhduong.gov.vn"
    url = f"{API}/services.json"
    assert client().get(url, {"jurisdiction_id": "binhduong.gov.vn"}).status_code == 200
    assert client().get(url, {"jurisdiction_id": "hcm.gov.vn"}).status_code == 404


# --- services --------------------------------------------------------------------------------


@pytest.fixture
def grouped(area: Any) -> dict[str, Category]:
    """Garbage and flooding under a group "Môi trường"; an inactive category."""
    group = Category.objects.create(
        code="moi-truong", name="Môi trường", name_en="Environment", agency=area["garbage"].agency
    )
    Category.objects.filter(code__in=["rac-thai", "ngap-ung"]).update(parent=group)
    old = Category.objects.create(
        code="cu", name="Đã bỏ", agency=area["garbage"].agency, is_active=False
    )
    return {"group": group, "old": old}


def test_services_list_only_active_services_in_json(area, grouped):
    body = parse(client().get(f"{API}/services.json"), "json")
    by_code = {s["service_code"]: s for s in body}
    assert set(by_code) == {"rac-thai", "hu-hong-duong", "ngap-ung"}  # no group, no inactive
    assert by_code["rac-thai"] == {
        "service_code": "rac-thai",
        "service_name": "Rác thải, vệ sinh môi trường",
        "description": "",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "Môi trường",
    }
    assert by_code["hu-hong-duong"]["metadata"] is False
    assert by_code["hu-hong-duong"]["group"] == ""
    # English on request: Accept-Language, or the locale parameter
    english = parse(client("en").get(f"{API}/services.json"), "json")
    assert {s["service_name"] for s in english} >= {"Garbage and sanitation", "Flooding"}
    assert {s["group"] for s in english} == {"Environment", ""}
    by_locale = parse(client().get(f"{API}/services.json", {"locale": "en_US"}), "json")
    assert by_locale == english


def test_services_list_in_xml(area, grouped):
    root = parse(client().get(f"{API}/services.xml"), "xml")
    assert root.tag == "services"
    assert {s.tag for s in root} == {"service"}
    garbage = next(s for s in root if s.findtext("service_code") == "rac-thai")
    assert [c.tag for c in garbage] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert garbage.findtext("metadata") == "true"
    assert garbage.findtext("type") == "realtime"
    assert garbage.findtext("group") == "Môi trường"


def test_service_definition_in_json_and_xml(area, grouped):
    body = parse(client().get(f"{API}/services/rac-thai.json"), "json")
    assert body == {
        "service_code": "rac-thai",
        "attributes": [
            {
                "variable": True,
                "code": "loai",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "Loại rác",
                "values": [
                    {"key": "sinh-hoat", "name": "Sinh hoạt"},
                    {"key": "xay-dung", "name": "Xây dựng"},
                ],
            }
        ],
    }
    root = parse(client().get(f"{API}/services/rac-thai.xml"), "xml")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "rac-thai"
    (attribute,) = root.findall("attributes/attribute")
    assert [c.tag for c in attribute] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert attribute.findtext("variable") == "true" and attribute.findtext("required") == "true"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == [
        "sinh-hoat",
        "xay-dung",
    ]
    # a service without questions has an empty list
    assert parse(client().get(f"{API}/services/hu-hong-duong.json"), "json")["attributes"] == []


def test_service_definition_of_an_unknown_code_a_group_or_inactive_is_404(area, grouped):
    for fmt in FORMATS:
        for code in ("khong-co", "moi-truong", "cu"):
            response = client().get(f"{API}/services/{code}.{fmt}")
            assert code in errors_of(response, fmt, 404)[0]


# --- filing ----------------------------------------------------------------------------------


def test_an_app_files_a_request_with_attributes_and_a_photo(area, key):
    before = timezone.now()
    response = client().post(
        f"{API}/requests.json", fields(key, media=photo(), photos_public="true")
    )
    assert response.status_code == 201, response.content
    (filed,) = parse(response, "json")
    assert set(filed) == {"service_request_id", "token", "service_notice", "account_id"}
    report = Report.objects.get()
    assert filed["service_request_id"] == filed["token"] == str(report.pk)
    assert filed["account_id"] is None
    assert report.agency.name in filed["service_notice"]  # Vietnamese by default
    assert report.channel == "open311" and report.client == "Ứng dụng Bình Dương"
    assert report.answers == {"loai": "sinh-hoat"}
    assert report.name == NAME and report.phone == PHONE and report.email == EMAIL
    assert report.photos_public and report.client_ip == CLIENT_IP
    assert report.unit == area["units"]["new_tdm"]
    # the photo is stored without its EXIF (GPS, camera's make and serial number)
    item = report.media.get()
    with item.file.open("rb") as handle:
        exif = Image.open(io.BytesIO(handle.read())).getexif()
    assert 0x8825 not in exif and 0x010F not in exif and 0xA431 not in exif
    client_row = ApiClient.objects.get()
    assert client_row.last_used_at is not None and client_row.last_used_at >= before
    # the app follows it: token → id → the request, with the photo's public address
    (tokened,) = parse(client().get(f"{API}/tokens/{report.pk}.json"), "json")
    assert tokened == {"service_request_id": str(report.pk), "token": str(report.pk)}
    (shown,) = parse(client().get(f"{API}/requests/{report.pk}.json"), "json")
    assert shown["media_url"] == f"http://testserver/feedback/media/{item.pk}/"
    assert Client().get(shown["media_url"]).status_code == 200


def test_filing_in_xml_form_encoded_with_a_list_attribute(area, key):
    Category.objects.filter(code="hu-hong-duong").update(
        attributes=[
            {
                "code": "vi-tri",
                "datatype": "multivaluelist",
                "required": True,
                "description": "Vị trí",
                "values": [
                    {"key": "long-duong", "name": "Lòng đường"},
                    {"key": "le", "name": "Lề"},
                ],
            }
        ]
    )
    body = fields(key, service_code="hu-hong-duong", **{"attribute[loai]": None})
    payload = urlencode(
        [*body.items(), ("attribute[vi-tri][]", "long-duong"), ("attribute[vi-tri][]", "le")]
    )
    response = client().post(
        f"{API}/requests.xml", payload, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 201, response.content
    root = parse(response, "xml")
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [c.tag for c in request] == [
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    ]
    report = Report.objects.get()
    assert request.findtext("service_request_id") == str(report.pk)
    assert report.answers == {"vi-tri": ["long-duong", "le"]}
    assert report.media.count() == 0 and not report.photos_public


def test_an_address_string_is_enough(area, key):
    response = client().post(
        f"{API}/requests.json",
        fields(key, lat=None, long=None, address_string="12 Yersin, phường Thủ Dầu Một"),
    )
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.address == "12 Yersin, phường Thủ Dầu Một" and report.lat is None


def test_a_media_url_is_neither_fetched_nor_stored(area, key, monkeypatch):
    import socket

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the server must not fetch media_url")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    response = client("en").post(
        f"{API}/requests.json", fields(key, media_url="http://169.254.169.254/latest/meta-data")
    )
    assert response.status_code == 201
    (filed,) = parse(response, "json")
    assert "media_url is not fetched" in filed["service_notice"]
    report = Report.objects.get()
    assert report.media.count() == 0
    assert "169.254" not in str(Report.objects.values().get())


BAD_REQUESTS = {
    "no api_key": ({"api_key": None}, 403, "api_key"),
    "wrong api_key": ({"api_key": "not-a-key"}, 403, "api_key"),
    "unknown service_code": ({"service_code": "khong-co"}, 400, "service_code"),
    "no service_code": ({"service_code": None}, 400, "service_code"),
    "no location": ({"lat": None, "long": None}, 400, "lat/long"),
    "address_id only": ({"lat": None, "long": None, "address_id": "545483"}, 400, "address_id"),
    "pin outside the area": ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, 400, "lat/long"),
    "only lat": ({"long": None}, 400, "lat/long"),
    "HTML in the description": (
        {"description": "<script>alert('x')</script> rác"},
        400,
        "description",
    ),
    "no required attribute": ({"attribute[loai]": None}, 400, "attribute[loai]"),
    "a value not in the list": ({"attribute[loai]": "hat-nhan"}, 400, "attribute[loai]"),
    "a bad e-mail": ({"email": "khong-phai-email"}, 400, "email"),
    "a fake photo": ({"media": "fake"}, 400, "media"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_gets_the_spec_error_body_and_stores_nothing(area, key, case, fmt):
    extra, status, parameter = BAD_REQUESTS[case]
    extra = dict(extra)
    if extra.get("media") == "fake":
        fake = io.BytesIO(b"GIF89a not really")
        fake.name = "a.jpg"
        extra["media"] = fake
    response = client().post(f"{API}/requests.{fmt}", fields(key, **extra))
    descriptions = errors_of(response, fmt, status)
    assert any(d.startswith(parameter) for d in descriptions), descriptions
    assert Report.objects.count() == 0 and Media.objects.count() == 0


def test_an_inactive_or_webhook_key_is_refused(area):
    revoked, revoked_key = issue("Ứng dụng cũ")
    ApiClient.objects.filter(pk=revoked.pk).update(is_active=False)
    _gateway, gateway_key = issue("Cổng Zalo", "webhook")
    for api_key in (revoked_key, gateway_key):
        for fmt in FORMATS:
            response = client().post(f"{API}/requests.{fmt}", fields(api_key))
            (description,) = errors_of(response, fmt, 403)
            assert description.startswith("api_key")
    assert Report.objects.count() == 0
    assert ApiClient.objects.filter(last_used_at__isnull=False).count() == 0


def test_every_problem_is_one_entry_in_the_requests_language(area, key):
    bad = fields(
        key,
        service_code="khong-co",
        lat=str(OUTSIDE[0]),
        long=str(OUTSIDE[1]),
        description="<b>Rác thải đổ trộm</b> ở đầu hẻm",
    )
    english = errors_of(client("en").post(f"{API}/requests.json", bad), "json", 400)
    assert len(english) == 3
    assert english[0] == "service_code: khong-co is not a service here (see services.json)."
    assert "lat/long: The map pin is outside the province: place it where the problem is." in (
        english
    )
    assert "description: Write plain text: HTML and scripts are refused." in english
    vietnamese = errors_of(client().post(f"{API}/requests.json", bad), "json", 400)
    assert len(vietnamese) == 3 and any("tỉnh" in d for d in vietnamese)
    assert Report.objects.count() == 0


def test_get_and_post_only(area, key):
    assert client().delete(f"{API}/requests.json").status_code == 405
    assert client().post(f"{API}/services.json").status_code == 405


# --- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens(area, handlers, fmt):
    report, other = file(), file()
    response = client().get(f"{API}/tokens/{report.pk}.{fmt}")
    body = parse(response, fmt)
    if fmt == "json":
        assert body == [{"service_request_id": str(report.pk), "token": str(report.pk)}]
    else:
        assert body.tag == "service_requests"
        (request,) = body
        assert [c.tag for c in request] == ["service_request_id", "token"]
        assert request.findtext("service_request_id") == str(report.pk)
    assert errors_of(client().get(f"{API}/tokens/999999.{fmt}"), fmt, 404)
    assert errors_of(client().get(f"{API}/tokens/abc.{fmt}"), fmt, 404)
    # merged: the token leads to the request it follows now; hidden: not found
    services.merge(other, report, actor=handlers["operator"])
    assert str(report.pk) in client().get(f"{API}/tokens/{other.pk}.{fmt}").content.decode()
    Report.objects.filter(pk=report.pk).update(is_public=False)
    assert errors_of(client().get(f"{API}/tokens/{report.pk}.{fmt}"), fmt, 404)


# --- GET requests ----------------------------------------------------------------------------


def test_requests_fields_in_json(area, handlers):
    report = file(photos_public=True, uploads=[("a.jpg", photo())])
    services.assign(report, area["agencies"]["ward"], actor=handlers["operator"])
    services.resolve(report, actor=handlers["operator"], answer="Đã thu gom rác xong.")
    report.refresh_from_db()
    (body,) = parse(get_requests(), "json")
    item = report.media.get()
    assert body == {
        "service_request_id": str(report.pk),
        "status": "closed",
        "status_notes": "Đã thu gom rác xong.",
        "service_name": "Rác thải, vệ sinh môi trường",
        "service_code": "rac-thai",
        "description": report.public_text,
        "agency_responsible": "UBND phường Thủ Dầu Một",
        "service_notice": "",
        "requested_datetime": open311.iso(report.received_at),
        "updated_datetime": open311.iso(report.updated_at),
        "expected_datetime": open311.iso(report.due_at),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": 10.96,
        "long": 106.61,
        "media_url": f"http://testserver/feedback/media/{item.pk}/",
    }
    assert "*******" in body["description"]  # the phone number masked
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert OFFSET.match(body[name]), body[name]
        assert body[name].endswith("+07:00")


def test_requests_in_xml(area):
    report = file()
    root = parse(get_requests("xml"), "xml")
    assert root.tag == "service_requests"
    (request,) = root
    assert request.tag == "request"
    assert [c.tag for c in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert request.findtext("service_request_id") == str(report.pk)
    assert request.findtext("status") == "open"
    assert request.findtext("lat") == "10.96" and request.findtext("long") == "106.61"
    assert OFFSET.match(request.findtext("requested_datetime") or "")
    assert request.findtext("media_url") == ""  # no photo the reporter agreed to show


def test_requests_filters(area, handlers):
    garbage, road, flood = (
        file(),
        file(category="hu-hong-duong", answers={}),
        file(category="ngap-ung", answers={}),
    )
    services.reject(flood, actor=handlers["operator"], reason="Không thuộc phạm vi xử lý.")
    old = age(file(), 120)
    fmt = "json"
    assert ids(get_requests()) == [str(flood.pk), str(road.pk), str(garbage.pk)]
    # service_request_id: a list, overriding the other filters (the old one too)
    listed = get_requests(service_request_id=f"{garbage.pk},{old.pk}", status="closed")
    assert ids(listed) == [str(garbage.pk), str(old.pk)]
    assert errors_of(get_requests(service_request_id="1,x"), fmt, 400)
    # service_code: a list
    assert ids(get_requests(service_code="hu-hong-duong,ngap-ung")) == [
        str(flood.pk),
        str(road.pk),
    ]
    assert ids(get_requests(service_code="khong-co")) == []
    # status: open, closed, both
    assert ids(get_requests(status="closed")) == [str(flood.pk)]
    (rejected,) = parse(get_requests(status="closed"), fmt)
    assert rejected["status_notes"] == "Không thuộc phạm vi xử lý."
    assert ids(get_requests(status="open")) == [str(road.pk), str(garbage.pk)]
    assert len(ids(get_requests(status="open,closed"))) == 3
    assert errors_of(get_requests(status="pending"), fmt, 400)
    # dates, with their offset
    age(road, 10)
    age(flood, 20)
    start = (timezone.now() - dt.timedelta(days=15)).isoformat()
    assert ids(get_requests(start_date=start)) == [str(garbage.pk), str(road.pk)]
    end = (timezone.now() - dt.timedelta(days=5)).astimezone(dt.UTC)
    end_z = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(get_requests(end_date=end_z)) == [str(road.pk), str(flood.pk)]
    assert ids(get_requests(start_date=start, end_date=end_z)) == [str(road.pk)]
    # bad dates, a reversed or too wide window
    for bad in ("yesterday", "2026-13-45T10:00:00+07:00"):
        assert errors_of(get_requests(start_date=bad), fmt, 400)[0].startswith("start_date")
    assert errors_of(get_requests(start_date=end_z, end_date=start), fmt, 400)
    wide = (timezone.now() - dt.timedelta(days=200)).isoformat()
    assert errors_of(get_requests(start_date=wide, end_date=end_z), fmt, 400)


def test_requests_default_to_the_last_90_days(area):
    with time_machine.travel(dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)):
        early = file()
    with time_machine.travel(dt.datetime(2026, 3, 15, 9, tzinfo=dt.UTC)):
        later = file()
    with time_machine.travel(dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC)):
        assert ids(get_requests()) == [str(later.pk), str(early.pk)]
    with time_machine.travel(dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC)):
        assert ids(get_requests()) == [str(later.pk)]  # early is 99 days old
        # a start date alone: 90 days from it
        assert ids(get_requests(start_date="2025-12-01T00:00:00+07:00")) == [str(early.pk)]


def test_requests_are_capped_and_paged(area, monkeypatch):
    made = [file() for _ in range(5)]
    newest_first = [str(r.pk) for r in reversed(made)]
    monkeypatch.setattr(open311, "MAX_RESULTS", 3)
    assert ids(get_requests()) == newest_first[:3]
    assert ids(get_requests(page_size=2)) == newest_first[:2]
    assert ids(get_requests(page_size=2, page=2)) == newest_first[2:4]
    assert ids(get_requests(page_size=2, page=3)) == newest_first[4:]
    assert ids(get_requests(page_size=2, page=9)) == []
    assert errors_of(get_requests(page_size=4), "json", 400)[0].startswith("page_size")
    assert errors_of(get_requests(page=0), "json", 400)[0].startswith("page")
    assert errors_of(get_requests(page="x"), "json", 400)


def test_only_public_requests_are_listed(area, handlers):
    shown, hidden, merged = file(), file(), file()
    Report.objects.filter(pk=hidden.pk).update(is_public=False)
    services.merge(merged, shown, actor=handlers["operator"])
    assert ids(get_requests()) == [str(shown.pk)]
    listed = get_requests(service_request_id=f"{shown.pk},{hidden.pk},{merged.pk}")
    assert ids(listed) == [str(shown.pk)]


def test_extensions_add_the_detailed_status_history_and_photos(area, handlers):
    operator = handlers["operator"]
    report = file(photos_public=True, uploads=[("a.jpg", photo())])
    services.add_note(report, actor=operator, note="Ghi chú nội bộ: gọi lại sau.")  # private
    services.assign(report, area["agencies"]["ward"], actor=operator)
    services.resolve(
        report, actor=operator, answer="Đã thu gom xong.", uploads=[("b.jpg", photo())]
    )
    hidden = file(uploads=[("c.jpg", photo())])  # the reporter did not agree: not public
    plain = parse(get_requests(service_request_id=str(report.pk)), "json")[0]
    assert "extended_attributes" not in plain
    (body,) = parse(get_requests(service_request_id=str(report.pk), extensions="true"), "json")
    extended = body["extended_attributes"]
    before, after = report.media.order_by("pk")
    assert extended["status"] == "resolved"
    with translation.override("vi"):
        assert extended["status_label"] == str(Status.RESOLVED.label)
    assert extended["agency_code"] == "ubnd-thu-dau-mot"
    assert OFFSET.match(extended["closed_datetime"])
    assert extended["media_urls"] == [
        f"http://testserver/feedback/media/{before.pk}/",
        f"http://testserver/feedback/media/{after.pk}/",
    ]
    assert body["media_url"] == extended["media_urls"][0]  # the reporter's photo first
    notes = extended["notes"]
    assert [n["status"] for n in notes] == ["received", "assigned", "resolved"]
    assert notes[-1]["description"] == "Đã thu gom xong."
    assert all(OFFSET.match(n["datetime"]) for n in notes)
    assert "nội bộ" not in json.dumps(body, ensure_ascii=False)
    # the same in XML, and on one request
    root = parse(client().get(f"{API}/requests/{report.pk}.xml", {"extensions": "true"}), "xml")
    extended_xml = root.find("request/extended_attributes")
    assert extended_xml is not None
    assert [n.findtext("status") for n in extended_xml.findall("notes/note")] == [
        "received",
        "assigned",
        "resolved",
    ]
    assert len(extended_xml.findall("media_urls/media_url")) == 2
    (other,) = parse(get_requests(service_request_id=str(hidden.pk), extensions="1"), "json")
    assert other["media_url"] == "" and other["extended_attributes"]["media_urls"] == []


def test_the_list_takes_a_fixed_number_of_queries(area, handlers, django_assert_num_queries):
    for _ in range(2):
        report = file(photos_public=True, uploads=[("a.jpg", photo())])
        services.assign(report, area["agencies"]["ward"], actor=handlers["operator"])
    # reports (with category and agency), media, entries (with agency)
    with django_assert_num_queries(3):
        assert len(ids(get_requests(extensions="true"))) == 2
    for _ in range(3):
        file(photos_public=True, uploads=[("a.jpg", photo())])
    with django_assert_num_queries(3):
        assert len(ids(get_requests(extensions="true"))) == 5
    # without extensions, read as rows: reports, categories, agencies, media; + the
    # categories of the codes
    with django_assert_num_queries(5):
        assert len(ids(get_requests(service_code="rac-thai"))) == 5


def test_the_list_read_as_rows_says_what_each_request_says(area, handlers):
    """The list (built from rows) and the items built from models agree on every kind of
    report: photos shown or not by consent, an answer's photo, a rejection, no pin."""
    operator, ward = handlers["operator"], area["agencies"]["ward"]
    file(uploads=[("a.jpg", photo())])  # the reporter's photo, not for the public
    file(photos_public=True, uploads=[("a.jpg", photo()), ("b.jpg", photo("b.jpg"))])
    done = file(uploads=[("a.jpg", photo())])
    services.assign(done, ward, actor=operator)
    services.resolve(
        done,
        actor=operator,
        answer="Đã xử lý, gọi 0912345678.",
        uploads=[("c.jpg", photo("c.jpg"))],
    )
    services.reject(file(), actor=operator, reason="Không thuộc thẩm quyền.")
    file(lat=None, lon=None, address="Số 5 đường Yersinia")
    request = RequestFactory().get(f"{API}/requests.json")
    query = open311.parse_query(request)
    listed = open311.list_data(query, request)
    assert len(listed) == 5
    assert listed == [open311.request_data(r, request) for r in open311.find_requests(query)]
    with_photo = [i for i in listed if i["media_url"]]
    assert len(with_photo) == 2  # the consented one, and the answer's photo
    assert "0912345678" not in json.dumps(listed)


# --- GET one request -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_an_array_of_one_and_404_when_not_public(area, handlers, fmt):
    report, hidden, merged = file(), file(), file()
    response = client().get(f"{API}/requests/{report.pk}.{fmt}")
    assert ids(response, fmt) == [str(report.pk)]
    Report.objects.filter(pk=hidden.pk).update(is_public=False)
    services.merge(merged, report, actor=handlers["operator"])
    for missing in (hidden.pk, merged.pk, 999999, "abc"):
        response = client().get(f"{API}/requests/{missing}.{fmt}")
        assert str(missing) in errors_of(response, fmt, 404)[0]


# --- personal data ---------------------------------------------------------------------------


def test_no_personal_data_in_any_response(area, handlers, key):
    filed = client().post(f"{API}/requests.json", fields(key, media=photo()))
    report = Report.objects.get(pk=json.loads(filed.content)[0]["service_request_id"])
    other = file()
    services.assign(other, area["agencies"]["ward"], actor=handlers["operator"])
    services.resolve(other, actor=handlers["operator"], answer=f"Đã gọi {PHONE}, xử lý xong.")
    secrets = [
        NAME,
        PHONE,
        EMAIL,
        report.tracking_code,
        other.tracking_code,
        report.description,
        other.description,
        CLIENT_IP,
        "riengtu",
        "Riêngtư",
    ]
    bodies = [filed.content.decode()]
    for fmt in FORMATS:
        urls = [
            f"/open311/discovery.{fmt}",
            f"{API}/services.{fmt}",
            f"{API}/services/rac-thai.{fmt}",
            f"{API}/requests.{fmt}",
            f"{API}/requests.{fmt}?extensions=true",
            f"{API}/requests/{report.pk}.{fmt}?extensions=true",
            f"{API}/requests/{other.pk}.{fmt}?extensions=true",
            f"{API}/tokens/{report.pk}.{fmt}",
        ]
        bodies += [client().get(url).content.decode() for url in urls]
        posted = client().post(f"{API}/requests.{fmt}", fields(key, lat=None, long=None))
        assert posted.status_code == 400
        bodies.append(posted.content.decode())
    bodies.append(client().post(f"{API}/requests.xml", fields(key)).content.decode())
    for body in bodies:
        for secret in secrets:
            assert secret not in body, (secret, body[:300])


# --- the key ---------------------------------------------------------------------------------


def test_the_key_command_issues_a_key_once_and_revokes_it(area):
    out = io.StringIO()
    call_command("open311_key", "Ứng dụng Phường", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    client_row = ApiClient.objects.get()
    assert client_row.name == "Ứng dụng Phường" and client_row.channel == "open311"
    assert client_row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client_row.key_prefix == key[:8] and len(key) >= 40
    assert key not in str(ApiClient.objects.values().get())  # only the hash is kept
    audit = AuditEntry.objects.get(object_type="feedback.apiclient", object_id=str(client_row.pk))
    assert audit.action == "create" and audit.message == "open311 key issued"
    assert key not in str(list(AuditEntry.objects.values()))
    assert client().post(f"{API}/requests.json", fields(key)).status_code == 201
    call_command("open311_key", "--revoke", key[:8], stdout=io.StringIO())
    client_row.refresh_from_db()
    assert not client_row.is_active
    assert client().post(f"{API}/requests.json", fields(key)).status_code == 403
    with pytest.raises(CommandError):
        call_command("open311_key", "--revoke", key[:8], stdout=io.StringIO())
    call_command("open311_key", "Cổng Zalo", "--channel", "webhook", stdout=io.StringIO())
    assert ApiClient.objects.get(name="Cổng Zalo").channel == "webhook"
    with pytest.raises(CommandError):
        call_command("open311_key", stdout=io.StringIO())


def test_a_key_never_starts_with_a_dash(area, monkeypatch):
    """A prefix like "-Ab3..." would read as an option after --revoke: such keys are drawn again."""
    from ioc.feedback.management.commands import open311_key

    drawn = iter(["-" + "a" * 42, "_" + "b" * 42])
    monkeypatch.setattr(open311_key.secrets, "token_urlsafe", lambda n: next(drawn))
    _client, key = open311_key.issue("Ứng dụng")
    assert key == "_" + "b" * 42
    call_command("open311_key", "--revoke", key[:8], stdout=io.StringIO())
    assert not ApiClient.objects.get().is_active


def test_the_agency_responsible_follows_the_routing(area):
    """A pin in Phú Lợi routes garbage to that ward's committee."""
    report = file(IN_PHU_LOI)
    (body,) = parse(get_requests(), "json")
    assert body["service_request_id"] == str(report.pk)
    assert body["agency_responsible"] == "UBND phường Phú Lợi"


def test_xml_escapes_text_and_drops_characters_xml_cannot_hold():
    body = open311.to_xml("service_requests", [{"address": "Hẻm 12 & <Lê Lợi>\x0b", "lat": None}])
    root = ET.fromstring(body.encode())
    assert root.findtext("request/address") == "Hẻm 12 & <Lê Lợi>"
    assert root.findtext("request/lat") == ""


def test_a_report_held_back_by_the_abuse_filter_is_filed_but_not_shown(area, key, monkeypatch):
    from ioc.feedback import abuse

    monkeypatch.setattr(abuse, "is_abusive", lambda text: True)
    response = client("en").post(f"{API}/requests.json", fields(key))
    assert response.status_code == 201
    (filed,) = parse(response, "json")
    assert "moderator" in filed["service_notice"]
    missing = client().get(f"{API}/requests/{filed['service_request_id']}.json")
    assert errors_of(missing, "json", 404)
