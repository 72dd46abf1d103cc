"""Client address for the audit log, and Vietnamese-first language selection."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from ioc.core.middleware import client_ip


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.9"),  # no proxy: a forged header is ignored
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # our proxy appended the real client
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "", "10.0.0.9"),  # header missing: fall back to the connection
    ],
    ids=["no-proxy", "one-proxy", "two-proxies", "missing-header"],
)
def test_client_ip_trusts_only_configured_proxies(settings, count, forwarded, expected):
    settings.IOC_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_an_english_browser_still_starts_in_vietnamese(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert 'lang="vi"' in response.content.decode()


@pytest.mark.django_db
def test_the_language_switcher_choice_wins(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/")
    assert 'lang="en"' in response.content.decode()


@pytest.mark.django_db
def test_login_throttle_and_audit_agree_on_the_client_behind_a_proxy(settings, client, make_user):
    from ioc.core.models import AuditEntry

    settings.IOC_PROXY_COUNT = 1
    make_user("victim", password="the-right-passphrase")
    proxy = "10.0.0.1"
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(
            "/accounts/login/",
            {"username": "victim", "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="6.6.6.6",
        )
    # The attacker's address is locked out, even with the right password ...
    locked = client.post(
        "/accounts/login/",
        {"username": "victim", "password": "the-right-passphrase"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert locked.status_code == 429
    # ... but the real user behind the same proxy is not.
    ok = client.post(
        "/accounts/login/",
        {"username": "victim", "password": "the-right-passphrase"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="7.7.7.7",
    )
    assert ok.status_code == 302
    failed = AuditEntry.objects.filter(action="login_failed")
    assert set(failed.values_list("ip", flat=True)) == {"6.6.6.6"}
