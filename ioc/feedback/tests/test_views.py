"""The public pages, the tracking page, the handlers' pages: permissions, scope, personal
data kept out of public view, photos served only to those who may see them."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client

from ioc.core.models import AuditEntry
from ioc.feedback import services
from ioc.feedback.models import Report
from ioc.feedback.tests.conftest import IN_PHU_LOI, IN_TDM, OUTSIDE, jpeg_with_gps

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL = "Nguyễn Thị Bảo Mật", "0987654321", "baomat@example.vn"


def form(**fields: Any) -> dict[str, Any]:
    return {
        "category": "rac-thai",
        "description": f"Rác đổ trộm đầu hẻm 12, gọi {PHONE} nếu cần.",
        "lat": str(IN_TDM[0]),
        "lon": str(IN_TDM[1]),
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "attribute[loai]": "sinh-hoat",
        **fields,
    }


def photo(name: str = "anh.jpg") -> Any:
    upload = io.BytesIO(jpeg_with_gps())
    upload.name = name
    return upload


def test_a_citizen_files_a_report_and_follows_it_by_code(area):
    client = Client()
    assert "data-pin-map" in client.get("/feedback/new/").content.decode()
    response = client.post("/feedback/new/", form(media=[photo()]))
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == f"/feedback/track/{report.tracking_code}/"
    page = client.get(response["Location"]).content.decode()
    assert report.tracking_code in page
    # lower case and spaces are forgiven
    code = report.tracking_code.lower()
    looked_up = client.get("/feedback/track/", {"code": f"{code[:5]} {code[5:]}"})
    assert looked_up["Location"] == f"/feedback/track/{report.tracking_code}/"
    assert client.get("/feedback/track/", {"code": "NOSUCHCODE"}).status_code == 404
    # the reporter sees their own photo with the code; nobody else does
    item = report.media.get()
    assert client.get(f"/feedback/media/{item.pk}/?code={report.tracking_code}").status_code == 200
    assert Client().get(f"/feedback/media/{item.pk}/").status_code == 404
    assert Client().get(f"/feedback/media/{item.pk}/?code=WRONGCODE2").status_code == 404


def test_bad_input_answers_400_in_the_citizens_language_and_stores_nothing(area):
    client = Client()
    response = client.post(
        "/feedback/new/",
        form(description="<script>alert('x')</script>", lat=str(OUTSIDE[0]), lon=str(OUTSIDE[1])),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "HTML" in body and "tỉnh" in body  # Vietnamese by default
    assert "&lt;script&gt;" in body and "<script>alert" not in body  # shown back, escaped
    english = Client(headers={"accept-language": "en"})
    english.cookies["django_language"] = "en"
    body = english.post("/feedback/new/", form(category="nope")).content.decode()
    assert "Choose a category from the list." in body
    fake = io.BytesIO(b"GIF89a not really")
    fake.name = "a.jpg"
    assert client.post("/feedback/new/", form(media=[fake])).status_code == 400
    assert Report.objects.count() == 0


def test_public_pages_never_show_personal_data(area, handlers):
    report = services.submit_report(
        services.Submission(
            category="rac-thai",
            description=f"Rác ở hẻm 12. Liên hệ {PHONE}, {EMAIL}.",
            lat=IN_TDM[0],
            lon=IN_TDM[1],
            name=NAME,
            phone=PHONE,
            email=EMAIL,
            answers={"loai": "sinh-hoat"},
            uploads=[("a.jpg", photo())],
        )
    )
    client = Client()
    for url in ("/feedback/", f"/feedback/{report.pk}/"):
        body = client.get(url).content.decode()
        assert "hẻm 12" in body, url
        for secret in (NAME, PHONE, EMAIL, report.tracking_code, "0987"):
            assert secret not in body, (url, secret)
        assert "/feedback/media/" not in body  # no consent: no photo in public
    # with consent, the photo is public; a moderator can still hide it
    report.photos_public = True
    report.save()
    item = report.media.get()
    assert f"/feedback/media/{item.pk}/" in client.get(f"/feedback/{report.pk}/").content.decode()
    assert client.get(f"/feedback/media/{item.pk}/?thumb=1").status_code == 200
    services.redact(report, actor=handlers["tdm"], public_text="Rác ở hẻm.", hide_media=[item.pk])
    assert client.get(f"/feedback/media/{item.pk}/").status_code == 404
    assert "Rác ở hẻm." in client.get(f"/feedback/{report.pk}/").content.decode()


def test_a_handler_sees_only_the_reports_of_their_commune(area, handlers):
    ours = services.submit_report(services.Submission(**_sub(IN_TDM)))
    theirs = services.submit_report(services.Submission(**_sub(IN_PHU_LOI)))
    client = Client()
    client.force_login(handlers["tdm"])
    inbox = client.get("/ioc/feedback/").content.decode()
    assert f'href="/ioc/feedback/{ours.pk}/"' in inbox
    assert f'href="/ioc/feedback/{theirs.pk}/"' not in inbox
    assert client.get(f"/ioc/feedback/{theirs.pk}/").status_code == 404
    assert client.post(f"/ioc/feedback/{theirs.pk}/accept/").status_code == 404
    assert Report.objects.get(pk=theirs.pk).status == "received"
    # their photos too
    detail = client.get(f"/ioc/feedback/{ours.pk}/")
    assert NAME in detail.content.decode()  # the handler reads the contact details...
    read = AuditEntry.objects.filter(action="read", object_id=str(ours.pk))
    assert read.get().actor == handlers["tdm"]  # ...under audit


def _sub(point: tuple[float, float]) -> dict[str, Any]:
    return {
        "category": "rac-thai",
        "description": "Rác thải đổ trộm ven đường lớn.",
        "lat": point[0],
        "lon": point[1],
        "name": NAME,
        "answers": {"loai": "xay-dung"},
    }


def test_the_handler_answers_and_the_citizen_rates(area, handlers):
    report = services.submit_report(services.Submission(**_sub(IN_TDM)))
    client = Client()
    client.force_login(handlers["tdm"])
    assert client.post(f"/ioc/feedback/{report.pk}/accept/").status_code == 302
    ward = area["agencies"]["ward"]
    client.post(f"/ioc/feedback/{report.pk}/assign/", {"agency": ward.pk})
    client.post(f"/ioc/feedback/{report.pk}/start/")
    answer = "Đã thu gom rác, phạt người đổ trộm."
    response = client.post(
        f"/ioc/feedback/{report.pk}/resolve/", {"answer": answer, "media": [photo("sau.jpg")]}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "resolved"
    citizen = Client()
    page = citizen.get(f"/feedback/track/{report.tracking_code}/").content.decode()
    assert answer in page and 'name="rating"' in page
    after = report.media.get(stage="after")
    assert f"/feedback/media/{after.pk}/" in page
    assert Client().get(f"/feedback/media/{after.pk}/").status_code == 200  # answers are public
    citizen.post(f"/feedback/track/{report.tracking_code}/rate/", {"rating": "satisfied"})
    assert Report.objects.get(pk=report.pk).rating == "satisfied"
    public = Client().get(f"/feedback/{report.pk}/").content.decode()
    assert answer in public


def test_pages_need_their_permissions(area, handlers, make_user):
    client = Client()
    assert client.get("/ioc/feedback/")["Location"].startswith("/accounts/login/")
    client.force_login(make_user("dan", kind="citizen"))
    assert client.get("/ioc/feedback/").status_code == 403
    assert client.get("/ioc/feedback/new/").status_code == 403
    client.force_login(handlers["tdm"])  # handlers answer; the hotline is the operators'
    assert client.get("/ioc/feedback/new/").status_code == 403
    client.force_login(handlers["operator"])
    assert client.get("/ioc/feedback/new/").status_code == 200
    response = client.post("/ioc/feedback/new/", form(phone="0909000111"))
    report = Report.objects.get()
    assert response["Location"] == f"/ioc/feedback/{report.pk}/"
    assert report.channel == "hotline"


def test_a_citizen_with_an_account_sees_all_of_theirs(area, make_user):
    dan = make_user("dan", kind="citizen")
    client = Client()
    client.force_login(dan)
    client.post("/feedback/new/", form())
    client.post("/feedback/new/", form(description="Rác lần thứ hai ở hẻm 14."))
    services.submit_report(services.Submission(**_sub(IN_TDM)))  # someone else's
    page = client.get("/feedback/mine/").content.decode()
    mine = Report.objects.filter(reporter=dan)
    assert mine.count() == 2
    assert len(re.findall(r'href="/feedback/track/\w+/"', page)) == 2


def test_a_reopening_reason_is_the_reporters_not_the_publics(area, handlers):
    report = services.submit_report(services.Submission(**_sub(IN_TDM)))
    services.assign(report, area["agencies"]["ward"], actor=handlers["tdm"])
    services.resolve(report, actor=handlers["tdm"], answer="Đã thu gom rác xong.")
    reason = "Tôi là Trần Văn Riêng ở số 12, rác vẫn còn nguyên."
    services.reopen(report, reason=reason)
    assert reason in Client().get(f"/feedback/track/{report.tracking_code}/").content.decode()
    public = Client().get(f"/feedback/{report.pk}/").content.decode()
    assert "Trần Văn Riêng" not in public and "Mở lại" in public
