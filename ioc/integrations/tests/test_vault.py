"""Connection secrets are encrypted at rest, never shown back, and survive edits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
import pytest
from django.db import connection as db
from pydantic import BaseModel, SecretStr

from ioc.core.models import AuditEntry
from ioc.integrations import vault
from ioc.integrations.connectors import base
from ioc.integrations.models import Connection
from ioc.integrations.services import configure_connection, connector_for, run_connection


class Auth(BaseModel):
    user: str
    password: SecretStr


class VaultConfig(BaseModel):
    url: str
    auth: Auth
    keys: list[SecretStr] = []


class VaultProbe(base.Connector):
    key: ClassVar[str] = "vault-probe"
    label: ClassVar[str] = "probe"
    Config = VaultConfig

    def check(self) -> str:
        return "ok"

    def read(self) -> Iterator[pa.Table]:
        cfg = self.config
        assert isinstance(cfg, VaultConfig)
        yield pa.table({"a": [cfg.auth.password.get_secret_value()]})


@pytest.fixture
def probe() -> Iterator[None]:
    base.register(VaultProbe)
    yield
    base._registry.pop("vault-probe", None)


@pytest.fixture
def conn(probe: None, make_dataset: Any) -> Connection:
    dataset = make_dataset("x", [{"name": "a", "type": "text"}])
    connection = Connection.objects.create(name="Sở X", kind="vault-probe", dataset=dataset)
    return configure_connection(
        connection,
        {
            "url": "https://api.so-x.gov.vn",
            "auth": {"user": "ioc", "password": "mật-khẩu-1"},
            "keys": ["khóa-một", "khóa-hai"],
        },
        actor=None,
    )


def test_secrets_are_encrypted_and_masked(conn: Connection) -> None:
    conn.refresh_from_db()
    assert conn.config == {
        "url": "https://api.so-x.gov.vn",
        "auth": {"user": "ioc", "password": vault.MASK},
        "keys": [vault.MASK, vault.MASK],
    }
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT config, secrets FROM integrations_connection WHERE id = %s", [conn.pk]
        )
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert "mật-khẩu-1" not in stored and "khóa-một" not in stored
    assert "mật-khẩu-1" not in str(
        AuditEntry.objects.filter(object_type="integrations.connection").values_list(
            "changes", flat=True
        )
    )
    cfg = connector_for(conn).config
    assert isinstance(cfg, VaultConfig)
    assert cfg.auth.password.get_secret_value() == "mật-khẩu-1"
    assert [k.get_secret_value() for k in cfg.keys] == ["khóa-một", "khóa-hai"]


def test_a_masked_secret_sent_back_keeps_its_value(conn: Connection) -> None:
    configure_connection(
        conn,
        {
            "url": "https://api2.so-x.gov.vn",
            "auth": {"user": "ioc2", "password": vault.MASK},
            "keys": [vault.MASK, "khóa-ba"],
        },
        actor=None,
    )
    cfg = connector_for(conn).config
    assert isinstance(cfg, VaultConfig)
    assert cfg.url == "https://api2.so-x.gov.vn"
    assert cfg.auth.password.get_secret_value() == "mật-khẩu-1"
    assert [k.get_secret_value() for k in cfg.keys] == ["khóa-một", "khóa-ba"]


def test_a_changed_secret_key_gives_a_clear_error(conn: Connection, settings: Any) -> None:
    settings.SECRET_KEY = "another-secret-key-0123456789-0123456789-0123456789"
    run = run_connection(conn)
    assert run.status == "failed"
    assert "enter them again" in run.error and "nhập lại" in run.error


def test_the_connector_gets_the_decrypted_secret(conn: Connection) -> None:
    run = run_connection(conn)
    assert run.rows_accepted == 1, run.error
