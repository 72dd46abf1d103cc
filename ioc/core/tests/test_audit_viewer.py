"""The audit log viewer at /ioc/audit/: admins only, read-only, filters, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ioc.accounts.choices import Role
from ioc.core.audit import diff, record
from ioc.core.models import AuditEntry, Sector

pytestmark = pytest.mark.django_db

AUDIT = "/ioc/audit/"


def _client(user: Any) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # assertions read English labels
    client.force_login(user)
    return client


@pytest.fixture
def admin(make_user: Any) -> Any:
    return make_user("sysadmin", roles=[Role.SYSTEM_ADMIN], scope_all=True)


@pytest.fixture
def entries(make_user: Any) -> dict[str, AuditEntry]:
    alice = make_user("alice", roles=[Role.OPERATOR], scope_all=True)
    bob = make_user("bob", roles=[Role.OPERATOR], scope_all=True)
    sector = Sector.objects.create(code="flood", name="Phòng chống thiên tai")
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        old = record(actor=alice, action="create", obj=sector, message="tạo lĩnh vực mới")
    with time_machine.travel(dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        changed = record(
            actor=bob,
            action="update",
            obj=sector,
            changes=diff({"name": "Phòng chống thiên tai"}, {"name": "PCTT và TKCN"}),
            message="đổi tên",
        )
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        event = record(
            actor=alice,
            action="update",
            object_type="operations.event",
            object_id="42",
            object_repr="Ngập lụt tại Thủ Dầu Một",
            changes={"status": ["open", "acknowledged"]},
        )
    return {"old": old, "changed": changed, "event": event}


def _ids(response: Any) -> list[int]:
    return [e.pk for e in response.context["page_obj"]]


def test_urls_stay_put() -> None:
    assert reverse("audit:list") == "/ioc/audit/"
    assert reverse("audit:detail", args=[3]) == "/ioc/audit/3/"
    assert reverse("audit:export") == "/ioc/audit/export.csv"


def test_anonymous_is_sent_to_login(client: Client, entries: dict[str, AuditEntry]) -> None:
    pk = entries["old"].pk
    for url in (AUDIT, f"{AUDIT}{pk}/", f"{AUDIT}export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.LEADER, Role.SECTOR_OFFICER])
def test_non_admins_get_403(make_user: Any, entries: dict[str, AuditEntry], role: Role) -> None:
    user = make_user("nosy", roles=[role], scope_all=True)
    client = _client(user)
    before = AuditEntry.objects.filter(action="read").count()
    for url in (AUDIT, f"{AUDIT}{entries['old'].pk}/", f"{AUDIT}export.csv"):
        assert client.get(url).status_code == 403
    assert AuditEntry.objects.filter(action="read").count() == before  # nothing exported
    assert AuditEntry.objects.filter(action="denied", actor_name="nosy").count() == 3


def test_admins_get_in(make_user: Any, admin: Any, entries: dict[str, AuditEntry]) -> None:
    superuser = make_user("root", is_superuser=True)
    auditor = make_user("auditor")
    auditor.user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="view_auditentry")
    )
    for user in (admin, superuser, auditor):
        assert _client(user).get(AUDIT).status_code == 200, user


def test_newest_first_and_filters(admin: Any, entries: dict[str, AuditEntry]) -> None:
    client = _client(admin)
    old, changed, event = entries["old"].pk, entries["changed"].pk, entries["event"].pk
    mine = [old, changed, event]

    def ids(**params: str) -> list[int]:
        return [pk for pk in _ids(client.get(AUDIT, params)) if pk in mine]

    assert ids() == [event, changed, old]
    assert ids(actor="ALI") == [event, old]
    assert ids(action="create") == [old]
    assert ids(object_type="operations.event") == [event]
    assert ids(object_type="core.sector", object_id=str(entries["old"].object_id)) == [
        changed,
        old,
    ]
    assert ids(date_from="2026-02-01") == [event, changed]
    assert ids(date_from="2026-02-01", date_to="2026-02-28") == [changed]
    assert ids(q="Thủ Dầu") == [event]
    assert ids(q="đổi") == [changed]
    bad = client.get(AUDIT, {"date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200
    assert "date_to" in bad.context["form"].errors


def test_pagination(admin: Any) -> None:
    for i in range(60):
        record(actor=None, action="action", object_type="tests.thing", object_id=str(i))
    client = _client(admin)
    first = client.get(AUDIT, {"object_type": "tests.thing"})
    second = client.get(AUDIT, {"object_type": "tests.thing", "page": 2})
    assert len(_ids(first)) == 50
    assert len(_ids(second)) == 10
    assert first.context["page_obj"].paginator.count == 60
    assert 'href="?object_type=tests.thing&amp;page=2"' in first.content.decode()


def test_detail_shows_old_and_new(admin: Any, entries: dict[str, AuditEntry]) -> None:
    response = _client(admin).get(f"{AUDIT}{entries['changed'].pk}/")
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert (row.field, row.old, row.new) == ("name", "Phòng chống thiên tai", "PCTT và TKCN")
    html = response.content.decode()
    assert '<td class="audit-old">Phòng chống thiên tai</td>' in html
    assert "→ </span>PCTT và TKCN" in html
    assert _client(admin).get(f"{AUDIT}999999/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get(admin: Any, entries: dict[str, AuditEntry], method: str) -> None:
    client = _client(admin)
    count = AuditEntry.objects.count()
    pk = entries["changed"].pk
    for url in (AUDIT, f"{AUDIT}{pk}/", f"{AUDIT}export.csv"):
        assert getattr(client, method)(url).status_code == 405, url
    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.get(pk=pk).message == "đổi tên"


def test_csv_export_follows_the_filter_and_is_audited(
    admin: Any, entries: dict[str, AuditEntry]
) -> None:
    response = _client(admin).get(f"{AUDIT}export.csv", {"actor": "alice"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [int(r["id"]) for r in rows] == [entries["event"].pk, entries["old"].pk]
    assert rows[0]["object"] == "Ngập lụt tại Thủ Dầu Một"
    assert rows[0]["changes"] == '{"status": ["open", "acknowledged"]}'
    read = AuditEntry.objects.get(action="read")
    assert read.actor == admin
    assert read.object_type == "core.auditentry"
    assert read.changes == {"filters": {"actor": "alice"}, "rows": 2}
    assert "2 entries" in read.message


def test_csv_export_neutralises_formulas(admin: Any) -> None:
    record(actor=None, action="action", object_repr='=HYPERLINK("http://x")', message="+1")
    response = _client(admin).get(f"{AUDIT}export.csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK" in text
    assert ",'+1," in text


def test_export_does_not_include_itself(admin: Any, entries: dict[str, AuditEntry]) -> None:
    response = _client(admin).get(f"{AUDIT}export.csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    read = AuditEntry.objects.get(action="read")
    ids = [int(r["id"]) for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]
    assert read.pk not in ids
    assert entries["old"].pk in ids
    assert timezone.localtime(read.at).date() == timezone.localdate()
