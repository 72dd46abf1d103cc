"""role_required / permission_required: login for anonymous, 403 (audited) without the right."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils import translation

from ioc.accounts.access import permission_reason, permission_required, role_required
from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry


@role_required(Role.OPERATOR, Role.LEADER)
def _ops_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@role_required()
def _any_staff(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def _call(view: Any, user: Any) -> HttpResponse:
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/ioc/somewhere/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    response: HttpResponse = view(request)
    return response


@pytest.mark.parametrize(
    ("roles", "kind", "superuser", "status"),
    [
        ([Role.OPERATOR], "staff", False, 200),
        ([Role.LEADER], "staff", False, 200),
        ([Role.SECTOR_OFFICER], "staff", False, 403),
        ([], "staff", False, 403),
        ([], "staff", True, 200),
        ([Role.OPERATOR], "citizen", False, 403),
    ],
    ids=["operator", "leader", "officer", "no-role", "superuser", "citizen-with-role"],
)
def test_role_required(
    make_user: Any, roles: list[str], kind: str, superuser: bool, status: int
) -> None:
    user = make_user("u", roles=roles, kind=kind, is_superuser=superuser)
    response = _call(_ops_only, user)
    assert response.status_code == status
    assert AuditEntry.objects.filter(action="denied", actor=user).exists() == (status == 403)


def test_role_required_without_roles_means_any_staff(make_user: Any) -> None:
    assert _call(_any_staff, make_user("staff")).status_code == 200
    assert _call(_any_staff, make_user("citizen", kind="citizen")).status_code == 403


def test_anonymous_is_sent_to_login(db: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    response = _call(_ops_only, AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/ioc/somewhere/"


def test_permission_required_page(client: Client, make_user: Any) -> None:
    # /ioc/agencies/<id>/edit/ needs core.change_agency: a leader only has view_agency.
    client.force_login(make_user("leader", roles=[Role.LEADER], scope_all=True))
    response = client.get("/ioc/agencies/1/edit/")
    assert response.status_code == 403
    assert "web/403.html" in [t.name for t in response.templates]


def test_permission_required_decorator(make_user: Any) -> None:
    @permission_required("core.view_agency", "core.change_agency")
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert _call(view, make_user("leader", roles=[Role.LEADER])).status_code == 403
    assert _call(view, make_user("officer", roles=[Role.SECTOR_OFFICER])).status_code == 200


# --- reasons people read: plain words in their language, never a permission's code name ------


@pytest.mark.parametrize(
    ("perm", "english"),
    [
        ("core.change_agency", "Your account may not change agencies."),
        ("core.view_agency", "Your account may not see agencies."),
        ("core.add_sector", "Your account may not add sectors."),
        ("core.frobnicate_agency", "Your account does not have the permission this action needs."),
        ("nosuchapp.view_thing", "Your account does not have the permission this action needs."),
    ],
    ids=["change", "view", "add", "unknown-action", "unknown-model"],
)
def test_permission_reasons_are_plain_and_translated(db: Any, perm: str, english: str) -> None:
    with translation.override("en"):
        assert permission_reason(perm) == english
    with translation.override("vi"):
        vietnamese = permission_reason(perm)
    assert vietnamese != english
    for code in (perm, perm.split(".", 1)[1], perm.split(".", 1)[0] + "."):
        assert code not in vietnamese


def test_the_agency_page_explains_a_refusal_in_vietnamese(
    client: Client, make_user: Any, agencies: dict[str, Any], sectors: dict[str, Any], settings: Any
) -> None:
    """A refusal from the service, shown on the edit page: translated, without code names."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    client.force_login(make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]]))
    ward = agencies["ward"]
    response = client.post(
        f"/ioc/agencies/{ward.pk}/edit/",
        {"name": ward.name, "kind": ward.kind, "sectors": [sectors["health"].pk]},
    )
    assert response.status_code == 403
    english = (
        "You may only take away sectors that are in your own scope; ask someone who "
        "sees the whole area to remove the others."
    )
    with translation.override("vi"):
        vietnamese = translation.gettext(english)
    assert vietnamese != english
    assert vietnamese in response.content.decode()
