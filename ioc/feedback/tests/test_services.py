"""Filing, routing, checks, photos, the workflow, duplicates and the reporter's actions."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from PIL import Image

from ioc.conftest import require
from ioc.core.models import AuditEntry
from ioc.feedback import services
from ioc.feedback.models import Entry, Media, Report
from ioc.feedback.services import ReportError, Submission
from ioc.feedback.tests.conftest import IN_PHU_LOI, IN_TDM, OUTSIDE, jpeg_with_gps

pytestmark = pytest.mark.django_db


def read(field: Any) -> bytes:
    with field.open("rb") as handle:
        return bytes(handle.read())


def garbage(**fields: Any) -> Submission:
    base: dict[str, Any] = {
        "category": "rac-thai",
        "description": "Rác thải đổ trộm ở đầu hẻm 12 đã ba ngày.",
        "lat": IN_TDM[0],
        "lon": IN_TDM[1],
        "name": "Nguyễn Văn A",
        "phone": "0912345678",
        "answers": {"loai": "sinh-hoat"},
    }
    return Submission(**{**base, **fields})


def test_a_report_is_routed_by_its_pin_to_the_communes_committee(area):
    report = services.submit_report(garbage())
    assert report.unit == area["units"]["new_tdm"]
    assert report.agency == area["agencies"]["ward"]  # the ward's people's committee
    other = services.submit_report(garbage(lat=IN_PHU_LOI[0], lon=IN_PHU_LOI[1]))
    assert other.agency == area["agencies"]["phu_loi"]
    # a category handled by its agency goes there wherever the pin is
    road = services.submit_report(garbage(category="hu-hong-duong", answers={}))
    assert road.agency == area["agencies"]["traffic"]
    assert len(report.tracking_code) == 10 and report.tracking_code != other.tracking_code
    assert report.due_at > report.received_at
    assert [e.kind for e in report.entries.all()] == ["status", "routed"]
    assert report.answers == {"loai": "sinh-hoat"}


def test_the_public_text_masks_phone_numbers_and_emails(area):
    report = services.submit_report(
        garbage(description="Gọi tôi 0912 345 678 hoặc a.b@gmail.com, hẻm 12 ngập rác.")
    )
    assert "0912" in report.description
    assert "345 678" not in report.public_text and "gmail" not in report.public_text
    assert "hẻm 12 ngập rác" in report.public_text


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lat": OUTSIDE[0], "lon": OUTSIDE[1]}, "location"),
        ({"lat": None, "lon": None, "address": ""}, "location"),
        ({"lat": "abc"}, "location"),
        ({"lat": 95}, "location"),
        ({"description": "<script>alert(1)</script> rác rác rác"}, "description"),
        ({"description": 'Rác <img src=x onerror="x"> ở hẻm'}, "description"),
        ({"description": "rác"}, "description"),
        ({"description": ""}, "description"),
        ({"category": "khong-co"}, "category"),
        ({"answers": {}}, "attribute[loai]"),
        ({"answers": {"loai": "hat-nhan"}}, "attribute[loai]"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(area, fields, field):
    with pytest.raises(ReportError) as caught:
        services.submit_report(garbage(**fields))
    assert field in caught.value.errors, caught.value.errors
    assert Report.objects.count() == 0 and Entry.objects.count() == 0


def test_errors_speak_vietnamese_by_default_and_english_when_asked(area):
    with pytest.raises(ReportError) as caught:
        services.submit_report(garbage(lat=OUTSIDE[0], lon=OUTSIDE[1]))
    with translation.override("vi"):
        assert "ngoài" in caught.value.messages()["location"][0]
    with translation.override("en"):
        assert "outside the province" in caught.value.messages()["location"][0]


def test_photos_lose_their_exif_and_get_a_thumbnail(area):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # GPS is there to start
    report = services.submit_report(garbage(uploads=[("pho.jpg", io.BytesIO(original))]))
    photo = report.media.get()
    stored = read(photo.file)
    assert b"SERIAL-123456" not in stored and b"PhoneMaker" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and not image.getexif()
    assert (image.width, image.height) == (640, 480)
    thumb = Image.open(io.BytesIO(read(photo.thumbnail)))
    assert thumb.format == "WEBP" and max(thumb.size) <= 480
    assert photo.content_type == "image/jpeg" and photo.kind == "photo"


def test_fake_oversized_and_too_many_photos_are_refused_whole(area, tmp_path):
    fake = io.BytesIO(b"<?php system($_GET['c']); ?>" + b"x" * 100)
    with pytest.raises(ReportError) as caught:
        services.submit_report(
            garbage(uploads=[("ok.jpg", io.BytesIO(jpeg_with_gps())), ("anh.jpg", fake)])
        )
    assert "media" in caught.value.errors
    big = io.BytesIO(b"\xff\xd8\xff" + b"0" * (services.media.MAX_PHOTO_BYTES + 10))
    with pytest.raises(ReportError):
        services.submit_report(garbage(uploads=[("to.jpg", big)]))
    six = [(f"{i}.jpg", io.BytesIO(jpeg_with_gps((64, 64)))) for i in range(6)]
    with pytest.raises(ReportError) as caught:
        services.submit_report(garbage(uploads=six))
    assert "media" in caught.value.errors
    assert Report.objects.count() == 0 and Media.objects.count() == 0


def test_a_video_is_checked_and_its_metadata_removed(area, tmp_path):
    require(shutil.which("ffmpeg") is not None, "ffmpeg (apt install ffmpeg)")
    clip = tmp_path / "clip.mp4"
    subprocess.run(
        [
            str(shutil.which("ffmpeg")),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=10",
            "-t",
            "1",
            "-metadata",
            "location=+10.9600+106.6100/",
            "-metadata",
            "title=PhoneMaker",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
    )
    assert b"PhoneMaker" in clip.read_bytes() and b"loci" in clip.read_bytes()
    report = services.submit_report(garbage(uploads=[("clip.mp4", clip.open("rb"))]))
    video = report.media.get()
    assert video.kind == "video" and video.content_type == "video/mp4"
    stored = read(video.file)
    assert b"PhoneMaker" not in stored and b"loci" not in stored
    assert len(read(video.thumbnail)) > 0
    # a text file dressed as a video is refused
    fake = io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"not really a video" * 10)
    with pytest.raises(ReportError):
        services.submit_report(garbage(uploads=[("fake.mp4", fake)]))


def test_the_workflow_from_received_to_closed(area, handlers):
    handler = handlers["tdm"]
    report = services.submit_report(garbage())
    services.accept(report, actor=handler)
    services.assign(report, area["agencies"]["ward"], actor=handler, note="Tổ vệ sinh")
    services.start(report, actor=handler)
    with pytest.raises(ReportError):
        services.resolve(report, actor=handler, answer="")  # the answer is required
    answer = "Đã thu gom toàn bộ rác và lắp biển cấm đổ rác."
    after = io.BytesIO(jpeg_with_gps((320, 240)))
    services.resolve(report, actor=handler, answer=answer, uploads=[("sau.jpg", after)])
    report.refresh_from_db()
    assert report.status == "resolved" and report.answer == answer and report.closed_at
    assert report.media.filter(stage="after").count() == 1
    with pytest.raises(services.InvalidTransition):
        services.start(report, actor=handler)
    services.rate(report, rating="satisfied", comment="Cảm ơn")
    services.close(report, actor=handler)
    statuses = [e.to_status for e in report.entries.filter(kind="status")]
    assert statuses == ["received", "accepted", "assigned", "in_progress", "resolved", "closed"]
    assert all(e.actor == handler for e in report.entries.filter(kind="status")[1:])
    assert (
        AuditEntry.objects.filter(object_type="feedback.report", object_id=str(report.pk)).count()
        >= 5
    )


def test_handlers_act_only_inside_their_scope(area, handlers, make_user):
    report = services.submit_report(garbage())  # Thủ Dầu Một
    with pytest.raises(PermissionDenied):
        services.accept(report, actor=handlers["pl"])  # Phú Lợi's handler
    with pytest.raises(PermissionDenied):
        services.accept(report, actor=make_user("citizen", kind="citizen"))
    services.accept(report, actor=handlers["operator"])
    assert Report.objects.get(pk=report.pk).status == "accepted"


def test_forwarding_needs_a_reason_and_says_when_it_was_late(area, handlers):
    handler = handlers["operator"]
    report = services.submit_report(garbage())
    with pytest.raises(ReportError):
        services.forward(report, area["agencies"]["health"], actor=handler, reason="")
    with time_machine.travel(timezone.now() + dt.timedelta(days=10)):
        services.forward(
            report, area["agencies"]["health"], actor=handler, reason="Thuộc lĩnh vực y tế"
        )
    entry = report.entries.get(kind="forwarded")
    assert entry.agency == area["agencies"]["health"] and "Thuộc lĩnh vực y tế" in entry.note
    assert "working days" in entry.note or "ngày làm việc" in entry.note
    assert Report.objects.get(pk=report.pk).agency == area["agencies"]["health"]


def test_duplicates_are_suggested_and_merged_reporters_get_the_answer(area, handlers):
    handler = handlers["tdm"]
    first = services.submit_report(garbage())
    near = services.submit_report(garbage(lat=IN_TDM[0] + 0.0005, name="Trần B"))  # ~55 m
    far = services.submit_report(garbage(lat=IN_TDM[0] + 0.005))  # ~550 m
    other_kind = services.submit_report(garbage(category="hu-hong-duong", answers={}))
    found = services.suggest_duplicates(near)
    assert [r.pk for r, _ in found] == [first.pk]
    assert 40 < found[0][1] < 70
    assert far.pk not in [r.pk for r, _ in services.suggest_duplicates(first)]
    assert other_kind.pk not in [r.pk for r, _ in services.suggest_duplicates(first)]
    services.merge(near, first, actor=handler)
    services.assign(first, area["agencies"]["ward"], actor=handler)
    services.resolve(first, actor=handler, answer="Đã thu gom rác ở đầu hẻm 12.")
    near.refresh_from_db()
    assert near.status == "resolved" and near.answer == "Đã thu gom rác ở đầu hẻm 12."
    assert near not in Report.objects.public()


def test_the_reporter_reopens_within_the_window_only(area, handlers):
    handler = handlers["tdm"]
    report = services.submit_report(garbage())
    services.assign(report, area["agencies"]["ward"], actor=handler)
    services.resolve(report, actor=handler, answer="Đã xử lý xong phản ánh.")
    services.reopen(report, reason="Rác vẫn còn nguyên, chưa ai đến dọn.")
    report.refresh_from_db()
    assert report.status == "assigned" and report.closed_at is None
    assert report.due_at > timezone.now()
    services.resolve(report, actor=handler, answer="Đã dọn lần hai, có ảnh.")
    later = timezone.now() + dt.timedelta(days=services.REOPEN_DAYS + 1)
    with time_machine.travel(later), pytest.raises(ReportError):
        services.reopen(report, reason="Vẫn còn rác sau một tuần nữa.")


def test_hotline_reports_need_the_permission_and_are_audited(area, handlers):
    with pytest.raises(PermissionDenied):
        services.submit_report(garbage(channel="hotline"), actor=handlers["tdm"])
    report = services.submit_report(garbage(channel="hotline"), actor=handlers["operator"])
    assert report.channel == "hotline"
    assert AuditEntry.objects.filter(action="create", object_id=str(report.pk)).exists()


def test_search_finds_vietnamese_with_and_without_diacritics(area):
    services.submit_report(garbage(description="Nước ngập sâu trước chợ Thủ Dầu Một"))
    assert Report.objects.search("nuoc ngap").count() == 1
    assert Report.objects.search("Nước NGẬP").count() == 1
    assert Report.objects.search("cháy").count() == 0


def test_a_report_about_two_matters_is_split(area, handlers):
    report = services.submit_report(
        garbage(description="Rác đổ trộm đầu hẻm, và ổ gà lớn ngay trước nhà số 12.")
    )
    with pytest.raises(ReportError):
        services.split(report, actor=handlers["tdm"], category="khong-co", description="Ổ gà lớn")
    part = services.split(
        report, actor=handlers["tdm"], category="hu-hong-duong", description="Ổ gà lớn trước số 12."
    )
    assert part.pk != report.pk and part.category.code == "hu-hong-duong"
    assert part.agency == area["agencies"]["traffic"]  # routed by its own category
    assert (part.lat, part.lon, part.phone) == (report.lat, report.lon, report.phone)
    assert part.tracking_code != report.tracking_code
    assert f"{report.pk}." in part.entries.first().note  # "Split from report #1."
    assert report.entries.filter(kind="note", note__contains=f"{part.pk}.").exists()
    with pytest.raises(PermissionDenied):
        services.split(report, actor=handlers["pl"], category="ngap-ung", description="Ngập sâu.")


def test_the_running_demo_files_reports_through_the_same_checks(area):
    import random

    from ioc.demo.feedback import file_one

    made = [file_one(random.Random(seed)) for seed in range(5)]
    assert all(r is not None and r.unit is not None for r in made)
    assert Report.objects.count() == 5
