"""The connector contract and the registry.

A connector reads one source and yields Arrow record batches; it never writes to the
warehouse (the pipeline maps the batches and hands them to the writer). Each connector is
one small module with a typed config (pydantic; secrets as ``SecretStr``, stored encrypted
by the connection), a ``check()`` that tests the source, and ``read()``.

Register one with the decorator, in this package or in a third-party package that declares
the entry point group ``ioc.connectors``::

    @register
    class MyConnector(Connector):
        key = "my-system"
        label = _("My system")
        Config = MyConfig
        def check(self) -> str: ...
        def read(self) -> Iterator[pa.RecordBatch]: ...

    # pyproject.toml of the third-party package
    [project.entry-points."ioc.connectors"]
    my-system = "my_package.connector:MyConnector"
"""

from __future__ import annotations

import importlib.metadata
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import pyarrow as pa
from django.utils.functional import Promise
from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)


class ConnectorError(RuntimeError):
    """A source that cannot be read; the message is bilingual and shown on the run."""


@dataclass
class Reject:
    """A record the connector itself could not read (a broken CSV line, invalid JSON)."""

    row_no: int | None
    reason: str
    raw: str
    source: str = ""  # the source_id it came from (set by the connector)


@dataclass
class ReadState:
    """What a connector reports besides its batches."""

    source_id: str = ""  # identity of what was read (file checksum, batch id)
    bytes_read: int = 0
    watermark: str | None = None  # the new "updated since" mark, when incremental
    rejects: list[Reject] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    # Called after each committed write, once everything yielded so far is stored: a source
    # that can confirm delivery (MQTT acknowledgements) does it here, never earlier.
    on_commit: list[Callable[[], None]] = field(default_factory=list)

    def committed(self) -> None:
        for hook in self.on_commit:
            hook()


class Connector(ABC):
    key: ClassVar[str]
    label: ClassVar[str | Promise]
    Config: ClassVar[type[BaseModel]]
    # Scheduled pull (True) or data that arrives by itself (push, manual entry: False).
    pulls: ClassVar[bool] = True

    def __init__(self, config: BaseModel, *, watermark: str | None = None) -> None:
        self.config = config
        self.state = ReadState(watermark=watermark)

    @classmethod
    def parse_config(cls, data: dict[str, Any]) -> BaseModel:
        try:
            return cls.Config.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConnectorError(
                f"Cấu hình kết nối không hợp lệ / invalid connection settings: {problems}"
            ) from None

    @abstractmethod
    def check(self) -> str:
        """Test the source; return a short description, raise ConnectorError."""

    @abstractmethod
    def read(self) -> Iterator[pa.RecordBatch | pa.Table]:
        """The records of one run, in batches."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release what read() kept open (called after the last commit, even on failure)."""


C = TypeVar("C", bound=type[Connector])

_registry: dict[str, type[Connector]] = {}
_entry_points_loaded = False


def register(cls: C) -> C:
    if cls.key in _registry and _registry[cls.key] is not cls:
        raise ValueError(f"connector key {cls.key!r} registered twice")
    _registry[cls.key] = cls
    return cls


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in importlib.metadata.entry_points(group="ioc.connectors"):
        try:
            register(ep.load())
        except Exception:
            logger.exception("connector entry point %s failed to load", ep.name)


def registry() -> dict[str, type[Connector]]:
    import ioc.integrations.connectors  # noqa: F401  (the built-in connectors register)

    _load_entry_points()
    return dict(_registry)


def get(key: str) -> type[Connector]:
    try:
        return registry()[key]
    except KeyError:
        raise ConnectorError(
            f"Không có loại kết nối '{key}' / there is no connector '{key}'"
        ) from None
