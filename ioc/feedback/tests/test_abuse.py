"""Rate limits, the offline captcha, the block list and flagging of abusive words."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.feedback import abuse, services
from ioc.feedback.models import Blocked, Report
from ioc.feedback.tests.conftest import IN_TDM

pytestmark = pytest.mark.django_db


def form(**fields: Any) -> dict[str, Any]:
    return {
        "category": "hu-hong-duong",
        "description": "Ổ gà lớn giữa đường, xe máy dễ té ngã.",
        "lat": str(IN_TDM[0]),
        "lon": str(IN_TDM[1]),
        **fields,
    }


def test_the_captcha_comes_after_the_threshold_and_the_limit_stops_a_flood(area, settings):
    settings.IOC_FEEDBACK_CAPTCHA_AFTER = 2
    settings.IOC_FEEDBACK_PER_HOUR = 4
    client = Client()
    for _ in range(2):
        assert client.post("/feedback/new/", form()).status_code == 302
    page = client.get("/feedback/new/").content.decode()
    assert 'name="captcha_token"' in page
    refused = client.post("/feedback/new/", form())
    assert refused.status_code == 400 and Report.objects.count() == 2
    token = refused.context["captcha_token"]
    picture = client.get("/feedback/captcha.png", {"t": token})
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    answer = abuse._open(token)["a"]
    wrong = client.post("/feedback/new/", form(captcha_token=token, captcha="XXXXX"))
    assert wrong.status_code == 400
    ok = client.post("/feedback/new/", form(captcha_token=token, captcha=answer.lower()))
    assert ok.status_code == 302 and Report.objects.count() == 3
    # a token is good once
    again = client.post("/feedback/new/", form(captcha_token=token, captcha=answer))
    assert again.status_code == 400 and Report.objects.count() == 3
    token = again.context["captcha_token"]
    answer = abuse._open(token)["a"]
    assert (
        client.post("/feedback/new/", form(captcha_token=token, captcha=answer)).status_code == 302
    )
    # the hour's limit: refused whatever the captcha, in Vietnamese
    flood = client.post("/feedback/new/", form())
    assert flood.status_code == 400 and "Quá nhiều" in flood.content.decode()
    assert Report.objects.count() == 4
    assert client.get("/feedback/captcha.png", {"t": "forged"}).status_code == 404


def test_blocked_senders_are_refused(area):
    Blocked.objects.create(kind="phone", value="0912345678", reason="spam")
    client = Client()
    response = client.post("/feedback/new/", form(phone="0912 345 678"))
    assert response.status_code == 400 and Report.objects.count() == 0
    Blocked.objects.create(kind="ip", value="127.0.0.1", reason="spam")
    assert client.post("/feedback/new/", form()).status_code == 400


def test_abusive_words_are_held_for_the_moderator(area, handlers):
    report = services.submit_report(
        services.Submission(
            category="hu-hong-duong",
            description="Đường hỏng vcl mà không ai sửa, bực quá.",
            lat=IN_TDM[0],
            lon=IN_TDM[1],
        )
    )
    assert report.flagged and not report.is_public
    assert report not in Report.objects.public()
    assert Client().get(f"/feedback/{report.pk}/").status_code == 404
    client = Client()
    client.force_login(handlers["tdm"])
    assert f"/ioc/feedback/{report.pk}/" in client.get("/ioc/feedback/?flagged=1").content.decode()
    client.post(f"/ioc/feedback/{report.pk}/approve/")
    assert Report.objects.public().filter(pk=report.pk).exists()


def test_marking_spam_rejects_hides_and_blocks(area, handlers):
    client = Client()
    client.post("/feedback/new/", form(phone="0909111222"))
    report = Report.objects.get()
    staff = Client()
    staff.force_login(handlers["tdm"])
    staff.post(f"/ioc/feedback/{report.pk}/spam/", {"reason": "Quảng cáo", "block": "on"})
    report.refresh_from_db()
    assert report.status == "rejected" and not report.is_public and report.flagged
    assert set(Blocked.objects.values_list("kind", "value")) == {
        ("ip", "127.0.0.1"),
        ("phone", "0909111222"),
    }
    assert client.post("/feedback/new/", form()).status_code == 400


@pytest.mark.parametrize(
    ("text", "abusive"),
    [
        ("Ổ gà lớn trước các cửa hàng", False),  # folded, "lớn" and "các" would look obscene
        ("Vật liệu xây dựng vlxd đổ tràn", False),
        ("Đường hỏng vcl mà không ai sửa", True),
        ("ĐM bọn xả rác", True),
    ],
)
def test_abusive_words_are_matched_with_their_diacritics(text: str, abusive: bool) -> None:
    assert abuse.is_abusive(text) is abusive


def test_blocked_senders_are_refused_on_the_api_channels_too(area):
    Blocked.objects.create(kind="phone", value="0912345678", reason="spam")
    for channel in ("open311", "webhook"):
        with pytest.raises(services.ReportError):
            services.submit_report(
                services.Submission(
                    category="hu-hong-duong",
                    description="Ổ gà lớn giữa đường, xe máy dễ té ngã.",
                    lat=IN_TDM[0],
                    lon=IN_TDM[1],
                    phone="0912345678",
                    channel=channel,
                )
            )
    assert Report.objects.count() == 0
