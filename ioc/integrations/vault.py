"""Connection secrets, encrypted at rest.

A connector's config model marks secrets as ``SecretStr`` (an API key, a password, a
database URL). :func:`split` takes them out of the config before it is stored: the config
keeps ``"********"`` in their place and the secrets go, as one JSON object keyed by their
path, into ``Connection.secrets`` encrypted with Fernet (AES-128-CBC + HMAC-SHA256). The key
is derived from the deployment's secret key (HKDF-SHA256, its own context), so changing
``IOC_SECRET_KEY`` makes stored secrets unreadable: they must then be entered again, and the
error says so. Secrets are never shown back in full and never logged.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from pydantic import SecretStr

MASK = "********"


class VaultError(ValueError):
    pass


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ioc.integrations.vault.v1"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(values: dict[str, str]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()


def decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise VaultError(
            "Không giải mã được thông tin bí mật của kết nối (khóa bí mật đã đổi?), hãy nhập lại"
            " / the connection's secrets cannot be decrypted (was the secret key changed?);"
            " enter them again"
        ) from None
    return {str(k): str(v) for k, v in data.items()}


def split(value: Any, path: str = "") -> tuple[Any, dict[str, str]]:
    """(the value with every SecretStr replaced by MASK, {path: secret})."""
    if isinstance(value, SecretStr):
        return MASK, {path: value.get_secret_value()}
    if isinstance(value, dict):
        plain: dict[str, Any] = {}
        found: dict[str, str] = {}
        for key, item in value.items():
            plain[key], inner = split(item, f"{path}.{key}" if path else str(key))
            found.update(inner)
        return plain, found
    if isinstance(value, list):
        items = []
        found = {}
        for index, item in enumerate(value):
            clean, inner = split(item, f"{path}.{index}")
            items.append(clean)
            found.update(inner)
        return items, found
    return value, {}


def merge(config: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    """The stored config with its secrets put back (for validating into the model)."""
    data: dict[str, Any] = json.loads(json.dumps(config))
    for path, secret in secrets.items():
        node: Any = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = secret
        else:
            node[last] = secret
    return data


def paths(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a JSON-like value by its dotted path ("auth.password", "keys.0")."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(paths(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(paths(item, f"{path}.{index}"))
        return out
    return {path: value}


def unmask(config: dict[str, Any], token: str) -> dict[str, Any]:
    """A config sent back by a form, each MASK replaced by the secret stored at its path (a
    secret left as stars keeps its value; a new value replaces it)."""
    stored = decrypt(token)
    masked = {path for path, value in paths(config).items() if value == MASK}
    return merge(config, {path: value for path, value in stored.items() if path in masked})
