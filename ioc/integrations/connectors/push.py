"""Push: the source calls us. Each push connection has its own endpoint,
``POST /api/push/<connection id>/``, authenticated by the connection's token
(``Authorization: Bearer <token>``), with a JSON array, NDJSON or CSV body.

The endpoint keeps the body in a temporary file and hands it to this connector, which reads
it like a file (the same encodings, separators and Vietnamese formats), so a pushed batch
goes through the same mapping, quarantine and writer as everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict

from ioc.integrations.connectors.base import Connector, ConnectorError, register
from ioc.integrations.connectors.files import FileConfig, checksum, read_path

CONTENT_TYPES = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "text/csv": "csv",
}


class PushConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["auto", "json", "ndjson", "csv"] = "auto"
    max_bytes: int = 50 * 1024 * 1024


@register
class PushConnector(Connector):
    key = "push"
    label = _("Pushed by the source (HTTP endpoint)")
    Config = PushConfig
    pulls = False

    payload: Path | None = None
    payload_format: str = "json"

    def check(self) -> str:
        return "push endpoint"

    def receive(self, path: Path, content_type: str) -> None:
        cfg = self.config
        assert isinstance(cfg, PushConfig)
        kind = content_type.split(";")[0].strip().lower()
        fmt = cfg.format if cfg.format != "auto" else CONTENT_TYPES.get(kind)
        if fmt is None:
            raise ConnectorError(
                f"Kiểu nội dung không nhận: «{kind}» (application/json, application/x-ndjson,"
                f" text/csv) / unsupported content type «{kind}»"
            )
        self.payload, self.payload_format = path, fmt

    def read(self) -> Iterator[pa.RecordBatch | pa.Table]:
        if self.payload is None:
            raise ConnectorError("Không có dữ liệu đẩy lên / nothing was pushed")
        # Each pushed batch is a source of its own: sending the same batch twice replaces it.
        self.state.source_id = f"push:{checksum(self.payload)}"
        self.state.bytes_read = self.payload.stat().st_size
        config = FileConfig(path=str(self.payload), format=self.payload_format)  # type: ignore[arg-type]
        yield from read_path(self.payload, config, self.state.rejects, self.state.log)
        for reject in self.state.rejects:
            reject.source = reject.source or self.state.source_id
