"""The pages and the signed addresses, and who may open what: a traffic-only operator cannot
open a public-order camera through the page, the API or a guessed URL; an expired or forged
address is refused; every watch is recorded."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from ioc.accounts.choices import Role
from ioc.cameras import access
from ioc.cameras.models import CameraView
from ioc.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(
    camera_settings: Any,
    frame_server: Any,
    make_camera: Any,
    groups: dict[str, Any],
    make_user: Any,
    sectors: dict[str, Any],
) -> dict[str, Any]:
    road = make_camera(
        "road",
        name="Ngã tư Phú Cường",
        snapshot_url=frame_server.snapshot("road"),
        groups=[groups["traffic"]],
    )
    square = make_camera(
        "square",
        name="Quảng trường",
        snapshot_url=frame_server.snapshot("square"),
        groups=[groups["order"]],
    )
    traffic = make_user("traffic", roles=[Role.OPERATOR], sectors=[sectors["traffic"]])
    everyone = make_user("boss", roles=[Role.OPERATOR], scope_all=True)
    return {"road": road, "square": square, "traffic": traffic, "all": everyone}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_traffic_only_operator_sees_traffic_cameras_and_nothing_else(
    scene: dict[str, Any],
) -> None:
    client = _client(scene["traffic"])
    page = client.get(reverse("cameras:grid")).content.decode()
    assert "Ngã tư Phú Cường" in page and "Quảng trường" not in page
    square = scene["square"].pk
    assert client.get(reverse("cameras:camera", args=[square])).status_code == 404
    assert client.post(reverse("cameras:live", args=[square])).status_code == 404
    grants = client.get(reverse("cameras:grants"), {"ids": f"{scene['road'].pk},{square}"}).json()
    assert list(grants["cameras"]) == [str(scene["road"].pk)]
    assert [c["code"] for c in client.get("/api/cameras/").json()] == ["road"]
    assert client.get(f"/api/cameras/{square}").status_code == 404
    # A guessed address: a token signed for the road camera does not open the square's.
    token = access.sign(scene["road"], scene["traffic"], "snapshot")
    guessed = reverse("cameras:frame", args=[square, token])
    assert client.get(guessed).status_code == 403
    assert Client().get(reverse("cameras:grid")).status_code == 302  # log in first

    boss = _client(scene["all"])
    page = boss.get(reverse("cameras:grid")).content.decode()
    assert "Ngã tư Phú Cường" in page and "Quảng trường" in page
    found = boss.get(reverse("cameras:grid"), {"q": "nga tu phu cuong"}).content.decode()
    assert "Ngã tư Phú Cường" in found and "Quảng trường" not in found  # without diacritics


def test_a_group_limited_to_a_role_is_hidden_from_other_roles(
    scene: dict[str, Any], groups: dict[str, Any], make_user: Any
) -> None:
    from django.contrib.auth.models import Group

    groups["order"].roles.set([Group.objects.get(name=Role.OPERATOR)])
    leader = make_user("leader", roles=[Role.LEADER], scope_all=True)
    assert list(access.cameras_for(leader).values_list("code", flat=True)) == ["road"]
    assert set(access.cameras_for(scene["all"]).values_list("code", flat=True)) == {
        "road",
        "square",
    }


def test_signed_snapshots_expire_are_shared_and_each_watch_is_recorded(
    scene: dict[str, Any], frame_server: Any, monkeypatch: Any, camera_settings: Any
) -> None:
    client = _client(scene["traffic"])
    road = scene["road"]
    grants = client.get(reverse("cameras:grants"), {"ids": str(road.pk)}).json()
    url = grants["cameras"][str(road.pk)]["frame"]
    for _ in range(20):  # twenty viewers within the period cost one fetch
        response = Client().get(url)  # no session needed: the signed address is the grant
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert frame_server.httpd.hits["/snapshot/road.jpg"] == 1

    real = time.time
    monkeypatch.setattr(
        signing.time, "time", lambda: real() - camera_settings.IOC_CAMERA_URL_SECONDS - 5
    )
    old = reverse("cameras:frame", args=[road.pk, access.sign(road, scene["traffic"], "snapshot")])
    monkeypatch.setattr(signing.time, "time", real)
    refused = Client().get(old)
    assert refused.status_code == 403 and "hết hạn" in refused.content.decode()
    forged = url.replace("/s/", "/s/x")
    assert Client().get(forged).status_code == 403

    views = CameraView.objects.filter(user=scene["traffic"], camera=road)
    assert views.count() == 1 and views.get().kind == "snapshot"
    client.get(reverse("cameras:grants"), {"ids": str(road.pk)})  # renewed: the same watch
    assert views.count() == 1
    entry = AuditEntry.objects.get(object_type="cameras.camera", object_id=str(road.pk))
    assert entry.actor == scene["traffic"] and "view started" in entry.message

    # The viewer loses the camera (scope changed): its address stops working at once.
    scene["traffic"].scope_sectors.clear()
    scene["traffic"].scope_all = False
    scene["traffic"].save()
    time.sleep(0)  # the grant is checked on every request, not remembered
    assert Client().get(url).status_code == 403


def test_an_offline_camera_answers_with_its_reason_and_is_not_asked_by_every_viewer(
    scene: dict[str, Any], frame_server: Any
) -> None:
    frame_server.cut("road")
    client = _client(scene["traffic"])
    url = client.get(reverse("cameras:grants"), {"ids": str(scene["road"].pk)}).json()["cameras"][
        str(scene["road"].pk)
    ]["frame"]
    first = Client().get(url)
    assert first.status_code == 503 and "không kết nối" in first.content.decode()
    for _ in range(5):
        assert Client().get(url).status_code == 503
    assert frame_server.httpd.hits["/snapshot/road.jpg"] == 1  # the failure is remembered


def test_the_wall_lays_out_the_cameras(scene: dict[str, Any]) -> None:
    client = _client(scene["all"])
    page = client.get(reverse("cameras:wall"), {"layout": "9", "tour": "15"}).content.decode()
    assert 'data-layout="9"' in page and 'data-tour="15"' in page and "--side: 3" in page
    assert page.count("data-camera=") == 2
    odd = client.get(reverse("cameras:wall"), {"layout": "7"}).content.decode()
    assert 'data-layout="4"' in odd


def test_a_camera_known_to_be_down_is_not_waited_for(
    scene: dict[str, Any], frame_server: Any
) -> None:
    from ioc.cameras import frames

    road = scene["road"]
    frames.store(road.pk, b"\xff\xd8old frame\xff\xd9")
    frames.store_error(road.pk, "không kết nối được tới camera / the camera cannot be reached")
    road.status = "offline"
    road.save()
    client = _client(scene["traffic"])
    url = client.get(reverse("cameras:grants"), {"ids": str(road.pk)}).json()["cameras"][
        str(road.pk)
    ]["frame"]
    answer = frames.latest(road, max_age=0)  # even with the kept frame stale
    assert answer.jpeg == b"\xff\xd8old frame\xff\xd9" and "cannot be reached" in answer.error
    response = Client().get(url)
    assert response.status_code == 200 and response["X-Frame-Error"]  # the last frame, marked
    assert "/snapshot/road.jpg" not in frame_server.httpd.hits  # the camera was not asked


def test_a_watch_that_stops_renewing_ends_with_its_length_in_the_audit_log(
    scene: dict[str, Any], camera_settings: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from ioc.cameras.watching import close_watches

    client = _client(scene["traffic"])
    road = scene["road"]
    client.get(reverse("cameras:grants"), {"ids": str(road.pk)})
    view = CameraView.objects.get(user=scene["traffic"], camera=road)
    CameraView.objects.filter(pk=view.pk).update(
        started_at=view.started_at - dt.timedelta(minutes=30),
        last_seen_at=view.last_seen_at - dt.timedelta(minutes=10),
    )
    assert close_watches(timezone.now()) == {"ended": 1}
    assert close_watches(timezone.now()) == {"ended": 0}  # once
    ended = AuditEntry.objects.get(message__startswith="camera snapshot view ended")
    assert ended.actor == scene["traffic"] and ended.object_id == str(road.pk)
    assert ended.changes["seconds"][1] == 20 * 60
    client.get(reverse("cameras:grants"), {"ids": str(road.pk)})  # back: a new watch
    assert CameraView.objects.filter(user=scene["traffic"], camera=road).count() == 2
