"""MQTT: IoT sensors (air quality, water levels, traffic counters) publishing JSON.

Each run connects to the broker with the connection's own persistent session (client id
``ioc-<connection>``, clean session off, QoS 1), so the broker keeps the messages that arrive
between runs. It collects messages for up to ``window_seconds`` (or ``max_messages``) and
yields them in micro-batches of ``batch_size`` messages or ``batch_seconds``, whichever
comes first. Messages are acknowledged only after the batch that holds them is committed to
the warehouse (manual acknowledgements): a crash before the commit means the broker sends
them again, and the writer's key makes the second delivery replace the first.

Topics are patterns with named parts: ``quan-trac/{tram}/muc-nuoc`` subscribes to
``quan-trac/+/muc-nuoc`` and gives each record a ``tram`` field. A JSON object payload gives
its top-level fields (nested values as JSON text); ``fields`` picks and renames them by
dotted path. A payload that is not a JSON object is a rejected record with its reason.
"""

from __future__ import annotations

import json
import queue
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pyarrow as pa
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ioc.integrations.connectors.base import Connector, ConnectorError, Reject, register

PART = re.compile(r"\{([a-z][a-z0-9_]*)\}")


ACK_FLUSH_SECONDS = 2.0  # at most, waiting for acknowledgements to leave on close


class MqttConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = 1883
    username: str = ""
    password: SecretStr | None = None
    tls: bool = False
    topics: list[str] = Field(min_length=1)
    client_id: str = ""  # default: ioc-<connection>, set by the service
    fields: dict[str, str] = {}  # record field → dotted path in the payload
    window_seconds: float = 10.0
    max_messages: int = 100_000
    batch_size: int = 5_000
    batch_seconds: float = 2.0
    connect_timeout: float = 10.0


def subscription(pattern: str) -> tuple[str, re.Pattern[str], list[str]]:
    """("quan-trac/+/muc-nuoc", a regex matching topics, ["tram"]) from the pattern."""
    names: list[str] = []
    subscribe: list[str] = []
    regex: list[str] = []
    for level in pattern.split("/"):
        named = PART.fullmatch(level)
        if named:
            names.append(named.group(1))
            subscribe.append("+")
            regex.append("([^/]+)")
        elif level == "+":
            subscribe.append("+")
            regex.append("[^/]+")
        elif level == "#":
            subscribe.append("#")
            regex.append(".*")
        else:
            subscribe.append(level)
            regex.append(re.escape(level))
    return "/".join(subscribe), re.compile("^" + "/".join(regex) + "$"), names


def _dig(payload: Any, path: str) -> Any:
    node = payload
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@register
class MqttConnector(Connector):
    key = "mqtt"
    label = _("MQTT sensors")
    Config = MqttConfig

    def __init__(self, config: BaseModel, *, watermark: str | None = None) -> None:
        super().__init__(config, watermark=watermark)
        self.client: mqtt.Client | None = None
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.unacked: list[int] = []
        self.state.on_commit.append(self._ack)

    @property
    def cfg(self) -> MqttConfig:
        assert isinstance(self.config, MqttConfig)
        return self.config

    def _connect(self) -> mqtt.Client:
        cfg = self.cfg
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"ioc-{uuid.uuid4().hex[:12]}",
            clean_session=not cfg.client_id,  # a named client keeps its session
            manual_ack=True,
            reconnect_on_failure=True,
        )
        client.reconnect_delay_set(min_delay=1, max_delay=30)  # backoff when the link drops
        if cfg.username:
            client.username_pw_set(
                cfg.username, cfg.password.get_secret_value() if cfg.password else None
            )
        if cfg.tls:
            client.tls_set()
        connected: queue.Queue[Any] = queue.Queue()

        def on_connect(c: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
            connected.put(reason)
            if not reason.is_failure:
                for pattern in cfg.topics:
                    c.subscribe(subscription(pattern)[0], qos=1)

        client.on_connect = on_connect
        client.on_message = lambda c, userdata, message: self.inbox.put(message)
        try:
            client.connect(cfg.host, cfg.port, keepalive=30)
        except OSError as exc:
            raise ConnectorError(
                f"Không kết nối được máy chủ MQTT {cfg.host}:{cfg.port} ({exc}) /"
                f" cannot reach the MQTT broker {cfg.host}:{cfg.port} ({exc})"
            ) from None
        client.loop_start()
        try:
            reason = connected.get(timeout=cfg.connect_timeout)
        except queue.Empty:
            reason = None
        if reason is None or reason.is_failure:
            client.loop_stop()
            client.disconnect()
            raise ConnectorError(
                f"Máy chủ MQTT {cfg.host}:{cfg.port} từ chối kết nối ({reason}) /"
                f" the MQTT broker {cfg.host}:{cfg.port} refused the connection ({reason})"
            )
        return client

    def check(self) -> str:
        client = self._connect()
        client.disconnect()
        client.loop_stop()
        return f"MQTT {self.cfg.host}:{self.cfg.port}, {len(self.cfg.topics)} topic pattern(s)"

    def _record(
        self, message: mqtt.MQTTMessage, patterns: list[tuple[re.Pattern[str], list[str]]]
    ) -> dict[str, Any] | str:
        try:
            payload = json.loads(message.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return "nội dung không phải JSON / the payload is not JSON"
        if not isinstance(payload, dict):
            return "nội dung không phải đối tượng JSON / the payload is not a JSON object"
        if self.cfg.fields:
            record = {name: _text(_dig(payload, path)) for name, path in self.cfg.fields.items()}
        else:
            record = {key: _text(value) for key, value in payload.items()}
        for regex, names in patterns:
            match = regex.match(message.topic)
            if match:
                record.update(zip(names, match.groups()[: len(names)], strict=False))
                break
        record["topic"] = message.topic
        return record

    def read(self) -> Iterator[pa.Table]:
        cfg = self.cfg
        self.client = self._connect()
        patterns = [subscription(p)[1:] for p in cfg.topics]
        self.state.log.append(f"subscribed: {', '.join(subscription(p)[0] for p in cfg.topics)}")
        self.state.source_id = ""  # each run is its own source; keys decide replacement
        deadline = time.monotonic() + cfg.window_seconds
        seen = 0
        records: list[dict[str, Any]] = []
        batch_started = time.monotonic()
        while seen < cfg.max_messages:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = self.inbox.get(timeout=min(remaining, cfg.batch_seconds))
            except queue.Empty:
                message = None
            if message is not None:
                seen += 1
                self.unacked.append(message.mid)
                self.state.bytes_read += len(message.payload)
                record = self._record(message, patterns)
                if isinstance(record, str):
                    raw = message.payload[:10_000].decode("utf-8", errors="replace")
                    self.state.rejects.append(
                        Reject(row_no=None, reason=f"{message.topic}: {record}", raw=raw)
                    )
                else:
                    record.setdefault("received_at", timezone.now().isoformat())
                    records.append(record)
            full = len(records) >= cfg.batch_size
            due = time.monotonic() - batch_started >= cfg.batch_seconds
            if records and (full or due):
                yield pa.Table.from_pylist(records)
                records, batch_started = [], time.monotonic()
        if records:
            yield pa.Table.from_pylist(records)
        self.state.log.append(f"messages: {seen}")

    def _ack(self) -> None:
        """Everything yielded so far is committed: confirm it to the broker."""
        if self.client is None:
            return
        for mid in self.unacked:
            self.client.ack(mid, 1)
        self.unacked.clear()

    def close(self) -> None:
        if self.client is not None:
            # Let the network loop send the queued acknowledgements (on a busy machine it may
            # not have yet; a DISCONNECT racing them made the broker deliver them again),
            # then disconnect before stopping the loop.
            deadline = time.monotonic() + ACK_FLUSH_SECONDS
            while self.client.want_write() and time.monotonic() < deadline:
                time.sleep(0.01)
            self.client.disconnect()
            self.client.loop_stop()
            self.client = None
