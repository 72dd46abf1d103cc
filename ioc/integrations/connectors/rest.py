"""REST/JSON API (pull): pages of JSON records from an agency's web service.

Every request goes through the hardened client (:mod:`ioc.integrations.http`): time-outs, a
size limit, no private addresses unless the connection allows them, checked redirects,
retries with backoff that honour ``Retry-After``, and a per-host limit on requests in flight.

A connection's settings, for example::

    {
      "url": "https://api.soxaydung.example.vn/v2/cong-trinh",
      "params": {"tinh": "79"},
      "auth": {"type": "bearer", "token": "..."},
      "records_path": "data.items",
      "pagination": {"type": "page", "page_param": "page", "size_param": "per_page", "size": 200},
      "watermark_field": "updated_at",
      "since_param": "updated_since"
    }

The URL, the ``params`` values and a POST ``body``'s strings may hold ``{since}``, ``{page}``,
``{offset}``, ``{limit}`` and ``{cursor}``; a paging value written into the URL is not also
sent as a query parameter. Pagination is ``none``, ``page``, ``offset``, ``cursor`` (a value
at a dotted path in the body, sent back as a parameter), ``link`` (the ``Link: <...>;
rel="next"`` header) or ``next_url`` (a URL at a dotted path in the body, as Django REST
framework's ``next`` or OData's ``@odata.nextLink``). Next links must stay on the same server
(scheme, host and port): credentials are never sent elsewhere.

Incremental reads: the first run sends ``initial_since`` (or nothing), later runs send the
stored watermark as ``since_param`` (and ``{since}``); after a run the watermark is the
largest ``watermark_field`` seen (ISO timestamps compared as instants, numbers as numbers),
never lower than before.

Records become one Arrow table per page, every column text (the mapping casts): nested
objects and lists as JSON text, true/false as "true"/"false", null as null. A record that
is not a JSON object is a reject; a page that is not JSON fails the run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from urllib.parse import quote

import httpx
import pyarrow as pa
from django.utils.translation import gettext_lazy as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from ioc.integrations.connectors.base import Connector, ConnectorError, Reject, register
from ioc.integrations.http import HttpClient, HttpError, Response

NOT_OBJECT = "bản ghi không phải đối tượng JSON / the record is not a JSON object"
PLACEHOLDER = re.compile(r"\{(since|page|offset|limit|cursor)\}")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MAX_RAW = 10_000  # characters of a rejected record kept


def _http_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^/?#\s]+", value, re.IGNORECASE):
        raise ValueError("phải là địa chỉ http:// hoặc https:// / must be an http(s):// URL")
    return value


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


# --- authentication ----------------------------------------------------------------------


class NoAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["none"] = "none"


class ApiKeyAuth(BaseModel):
    """A key sent in a header, e.g. ``X-API-Key: ...``."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["api_key"]
    header: str = "X-API-Key"
    value: SecretStr

    @field_validator("header")
    @classmethod
    def _header(cls, value: str) -> str:
        if not HEADER_NAME.match(value):
            raise ValueError("tên tiêu đề không hợp lệ / invalid header name")
        return value


class BasicAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["basic"]
    username: str
    password: SecretStr


class BearerAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["bearer"]
    token: SecretStr


class OAuth2Auth(BaseModel):
    """OAuth 2.0 client credentials; the token is cached (process-wide) until it expires."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["oauth2"]
    token_url: HttpUrlText
    client_id: str
    client_secret: SecretStr
    scope: str = ""
    # How the client authenticates to the token endpoint: HTTP Basic (RFC 6749's default)
    # or client_id/client_secret in the form body.
    client_auth: Literal["basic", "body"] = "basic"


Auth = Annotated[
    NoAuth | ApiKeyAuth | BasicAuth | BearerAuth | OAuth2Auth, Field(discriminator="type")
]


# --- pagination --------------------------------------------------------------------------


class NoPaging(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["none"] = "none"


class PagePaging(BaseModel):
    """page=1, 2, 3...; ends at a page with fewer than ``size`` records (or none)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["page"]
    page_param: str = "page"
    start: int = 1
    size_param: str = "page_size"  # "" = not sent (the server's own page size is ``size``)
    size: int = Field(100, ge=1)


class OffsetPaging(BaseModel):
    """offset=0, 100, 200...; ends at a page with fewer than ``limit`` records (or none)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(100, ge=1)
    start: int = 0


class CursorPaging(BaseModel):
    """The next page's cursor is in the body (``cursor_path``) and sent as ``cursor_param``;
    ends when it is missing or empty."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["cursor"]
    cursor_path: str = "next_cursor"
    cursor_param: str = "cursor"
    size_param: str = ""
    size: int = Field(100, ge=1)


class LinkPaging(BaseModel):
    """RFC 8288 (5988) ``Link: <https://...?page=2>; rel="next"``; ends without one."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["link"]


class NextUrlPaging(BaseModel):
    """The next page's URL is in the body (``next_path``, e.g. "next", "links.next",
    "@odata.nextLink"); ends when it is missing or null."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["next_url"]
    next_path: str = "next"


Pagination = Annotated[
    NoPaging | PagePaging | OffsetPaging | CursorPaging | LinkPaging | NextUrlPaging,
    Field(discriminator="type"),
]


class RestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrlText = Field(description="May hold {since}, {page}, {offset}, {limit}, {cursor}")
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    body: dict[str, Any] | None = None  # POST: a JSON body (its strings may hold {since}...)
    auth: Auth = Field(default_factory=NoAuth)
    records_path: str = ""  # dotted path to the records; "" = the body is the list
    pagination: Pagination = Field(default_factory=NoPaging)
    max_pages: int = Field(10_000, ge=1)
    watermark_field: str = ""  # dotted path in a record, e.g. "updated_at"
    since_param: str = ""  # query parameter carrying the watermark
    initial_since: str = ""  # sent on the first run, when there is no watermark yet
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    max_retries: int = Field(3, ge=0, le=10)
    allow_private: bool = False  # a server inside the internal network (10.x, 192.168.x...)
    max_bytes: int = Field(50 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    verify_tls: bool = True

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not HEADER_NAME.match(name) or "\r" in text or "\n" in text:
                raise ValueError(f"tiêu đề không hợp lệ / invalid header: {name!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RestConfig:
        if self.body is not None and self.method != "POST":
            raise ValueError("chỉ gửi body với POST / a body is sent only with POST")
        if (self.since_param or "{since}" in self.url) and not self.watermark_field:
            raise ValueError(
                "cần watermark_field để đọc tăng dần / watermark_field is needed for"
                " incremental reads (since_param, {since})"
            )
        return self


# --- helpers -----------------------------------------------------------------------------

MISSING: Any = object()


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ("data.items", "items.0.id"); a key that itself holds dots
    ("@odata.nextLink") is found too. MISSING when there is none."""
    if not path:
        return data
    if isinstance(data, dict) and path in data:
        return data[path]
    parts = path.split(".")
    for cut in range(1, len(parts)):
        head, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
        if isinstance(data, dict) and head in data:
            found = dig(data[head], rest)
        elif isinstance(data, list) and head.isdigit() and int(head) < len(data):
            found = dig(data[int(head)], rest)
        else:
            continue
        if found is not MISSING:
            return found
    if isinstance(data, list) and path.isdigit() and int(path) < len(data):
        return data[int(path)]
    return MISSING


def fill(template: str, values: dict[str, str], *, in_url: bool = False) -> str:
    """``{since}``, ``{page}``... replaced (URL-encoded in a URL); other braces are kept."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return quote(value, safe="") if in_url else value

    return PLACEHOLDER.sub(one, template)


def _fill_body(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, dict):
        return {k: _fill_body(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_body(v, values) for v in value]
    return value


LINK = re.compile(r"<([^>]*)>([^<]*)")
REL = re.compile(r"""(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""", re.IGNORECASE)


def next_link(values: list[str]) -> str | None:
    """The ``rel="next"`` target of ``Link`` headers."""
    for value in values:
        for match in LINK.finditer(value):
            rel = REL.search(match.group(2))
            if rel and "next" in (rel.group(1) or rel.group(2) or "").lower().split():
                return match.group(1).strip()
    return None


def text_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def records_table(rows: list[dict[str, Any]]) -> pa.Table:
    """One text column per field seen in any record (in order of first appearance)."""
    names: dict[str, None] = {}
    for row in rows:
        for name in row:
            names.setdefault(str(name), None)
    return pa.table(
        {name: pa.array([text_value(row.get(name)) for row in rows], pa.string()) for name in names}
    )


def _order(value: Any) -> tuple[int, Any] | None:
    """A sort key for watermark values: numbers, then instants, then other text."""
    if value is None or isinstance(value, bool) or value == "" or value is MISSING:
        return None
    if isinstance(value, int | float | Decimal):
        try:
            return (0, Decimal(str(value)))
        except InvalidOperation:
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if NUMBER.match(text):
        return (0, Decimal(text))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return (2, text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive values compare among themselves
    return (1, moment.timestamp())


class _Mark:
    """The largest watermark seen, kept as the source wrote it."""

    def __init__(self, start: str | None) -> None:
        self.value: str | None = None
        self.key: tuple[int, Any] | None = None
        self.offer(start)

    def offer(self, value: Any) -> None:
        key = _order(value)
        if key is None:
            return
        if self.key is None or key > self.key:
            self.key, self.value = key, str(value)


_tokens: dict[str, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def clear_token_cache() -> None:
    with _tokens_lock:
        _tokens.clear()


# --- the connector -----------------------------------------------------------------------


@register
class RestConnector(Connector):
    key = "rest"
    label = _("REST/JSON API (pull)")
    Config = RestConfig

    def __init__(
        self,
        config: BaseModel,
        *,
        watermark: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(config, watermark=watermark)
        self._sleep = sleep
        self._client: HttpClient | None = None

    @property
    def cfg(self) -> RestConfig:
        assert isinstance(self.config, RestConfig)
        return self.config

    @property
    def http(self) -> HttpClient:
        if self._client is None:
            cfg = self.cfg
            self._client = HttpClient(
                allow_private=cfg.allow_private,
                connect_timeout=min(10.0, cfg.timeout_seconds),
                read_timeout=cfg.timeout_seconds,
                max_bytes=cfg.max_bytes,
                max_retries=cfg.max_retries,
                verify=cfg.verify_tls,
                sleep=self._sleep,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _since(self) -> str | None:
        return self.state.watermark or self.cfg.initial_since or None

    def check(self) -> str:
        pages = self._pages(self._since())
        try:
            response, records = next(pages)
        finally:
            pages.close()
            self.close()
        return (
            f"HTTP {response.status}, trang đầu có {len(records)} bản ghi /"
            f" {len(records)} records on the first page"
        )

    def read(self) -> Iterator[pa.RecordBatch | pa.Table]:
        cfg = self.cfg
        mark = _Mark(self.state.watermark)
        before = self.state.watermark
        number = pages = 0
        for response, records in self._pages(self._since()):
            pages += 1
            self.state.bytes_read += len(response.content)
            rows: list[dict[str, Any]] = []
            for record in records:
                number += 1
                if not isinstance(record, dict):
                    self.state.rejects.append(
                        Reject(
                            row_no=number,
                            reason=NOT_OBJECT,
                            raw=json.dumps(record, ensure_ascii=False)[:MAX_RAW],
                            source=self.state.source_id,
                        )
                    )
                    continue
                rows.append(record)
                if cfg.watermark_field:
                    mark.offer(dig(record, cfg.watermark_field))
            if rows:
                yield records_table(rows)
        self.state.log.append(f"{pages} pages, {number} records, {self.state.bytes_read} bytes")
        if cfg.watermark_field:
            self.state.watermark = mark.value
            if mark.value != before:
                self.state.log.append(f"watermark: {before or '-'} → {mark.value}")

    # --- pages ---

    def _pages(self, since: str | None) -> Generator[tuple[Response, list[Any]], None, None]:
        cfg, paging = self.cfg, self.cfg.pagination
        page = paging.start if isinstance(paging, PagePaging) else 0
        offset = paging.start if isinstance(paging, OffsetPaging) else 0
        cursor = ""
        link: str | None = None
        seen: set[str] = set()
        base = httpx.URL(fill(cfg.url, {}, in_url=True))
        for number in range(1, cfg.max_pages + 1):
            values = {"since": since or "", "cursor": cursor}
            params: dict[str, str] = {}
            if isinstance(paging, PagePaging):
                values.update(page=str(page), limit=str(paging.size))
                self._param(params, paging.page_param, "page", str(page))
                self._param(params, paging.size_param, "limit", str(paging.size))
            elif isinstance(paging, OffsetPaging):
                values.update(offset=str(offset), limit=str(paging.limit))
                self._param(params, paging.offset_param, "offset", str(offset))
                self._param(params, paging.limit_param, "limit", str(paging.limit))
            elif isinstance(paging, CursorPaging):
                values.update(limit=str(paging.size))
                if cursor:
                    self._param(params, paging.cursor_param, "cursor", cursor)
                self._param(params, paging.size_param, "limit", str(paging.size))
            body = _fill_body(cfg.body, values) if cfg.body is not None else None
            if link is None:
                url = fill(cfg.url, values, in_url=True)
                query = {k: fill(v, values) for k, v in cfg.params.items()}
                if since and cfg.since_param:
                    query[cfg.since_param] = since
                query.update(params)
            else:
                url, query = link, {}  # the link carries its own query
            response = self._fetch(url, query, body)
            data = self._json(response, number)
            records = self._records(data, response, number)
            yield response, records

            if isinstance(paging, NoPaging):
                return
            if isinstance(paging, PagePaging):
                if len(records) < paging.size:
                    return
                page += 1
            elif isinstance(paging, OffsetPaging):
                if len(records) < paging.limit:
                    return
                offset += paging.limit
            elif isinstance(paging, CursorPaging):
                found = dig(data, paging.cursor_path)
                if found is MISSING or found is None or found == "" or not records:
                    return
                cursor = text_value(found) or ""
                if cursor in seen:
                    self.state.log.append(f"cursor repeated ({cursor[:50]}): stopped")
                    return
                seen.add(cursor)
            else:
                if isinstance(paging, LinkPaging):
                    target = next_link(response.headers.get_list("link"))
                else:
                    found = dig(data, paging.next_path)
                    target = found if isinstance(found, str) and found.strip() else None
                if not target:
                    return
                link = self._same_server(base, response, target)
                if link in seen:
                    self.state.log.append("next link repeated: stopped")
                    return
                seen.add(link)
        self.state.log.append(
            f"dừng sau {cfg.max_pages} trang (max_pages), có thể còn dữ liệu /"
            f" stopped after {cfg.max_pages} pages (max_pages); more may remain"
        )

    def _param(self, params: dict[str, str], name: str, placeholder: str, value: str) -> None:
        if name and "{" + placeholder + "}" not in self.cfg.url:
            params[name] = value

    @staticmethod
    def _same_server(base: httpx.URL, response: Response, target: str) -> str:
        try:
            url = httpx.URL(response.url).join(target)
        except (httpx.InvalidURL, ValueError):
            url = None
        if url is None or (url.scheme, url.host.lower(), url.port) != (
            base.scheme,
            base.host.lower(),
            base.port,
        ):
            raise ConnectorError(
                f"Liên kết trang sau trỏ sang máy chủ khác ({target[:200]}), không theo /"
                f" the next-page link points to another server ({target[:200]}); not followed"
            )
        return str(url)

    def _fetch(self, url: str, params: dict[str, str], body: Any) -> Response:
        cfg = self.cfg
        for attempt in (1, 2):
            headers = httpx.Headers({"Accept": "application/json"})
            headers.update(cfg.headers)
            headers.update(self._auth_headers(renew=attempt == 2))
            try:
                return self.http.request(
                    cfg.method,
                    url,
                    params=params,
                    headers=headers,
                    json=body,
                    sensitive_headers=self._sensitive(),
                )
            except HttpError as exc:
                # A cached OAuth2 token may have been revoked: one new token, one more try.
                if exc.status == 401 and isinstance(cfg.auth, OAuth2Auth) and attempt == 1:
                    continue
                raise ConnectorError(str(exc)) from None
        raise AssertionError("unreachable")

    def _json(self, response: Response, number: int) -> Any:
        if not response.content.strip():
            return None  # 204 or an empty body: no records
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            host = httpx.URL(response.url).host
            start = " ".join(response.text[:200].split())
            raise ConnectorError(
                f"Phản hồi từ máy chủ {host} (trang {number}) không phải JSON hợp lệ /"
                f" the response from {host} (page {number}) is not valid JSON: «{start}»"
            ) from None

    def _records(self, data: Any, response: Response, number: int) -> list[Any]:
        path = self.cfg.records_path
        found = None if data is None else dig(data, path)
        if found is None:
            return []
        if isinstance(found, list):
            return found
        if isinstance(found, dict):
            return [found]  # one object is one record
        host = httpx.URL(response.url).host
        where = f"«{path}»" if path else "(body)"
        if found is MISSING:
            raise ConnectorError(
                f"Không thấy danh sách bản ghi tại {where} trong phản hồi của {host}"
                f" (trang {number}) / no records at {where} in the response from {host}"
                f" (page {number})"
            )
        raise ConnectorError(
            f"Giá trị tại {where} không phải danh sách bản ghi (trang {number}) /"
            f" the value at {where} is not a list of records (page {number})"
        )

    # --- authentication ---

    def _sensitive(self) -> tuple[str, ...]:
        auth = self.cfg.auth
        return (auth.header,) if isinstance(auth, ApiKeyAuth) else ()

    def _auth_headers(self, *, renew: bool = False) -> dict[str, str]:
        auth = self.cfg.auth
        if isinstance(auth, ApiKeyAuth):
            return {auth.header: auth.value.get_secret_value()}
        if isinstance(auth, BasicAuth):
            return {"Authorization": _basic(auth.username, auth.password.get_secret_value())}
        if isinstance(auth, BearerAuth):
            return {"Authorization": f"Bearer {auth.token.get_secret_value()}"}
        if isinstance(auth, OAuth2Auth):
            return {"Authorization": f"Bearer {self._oauth_token(auth, renew=renew)}"}
        return {}

    def _oauth_token(self, auth: OAuth2Auth, *, renew: bool) -> str:
        secret = auth.client_secret.get_secret_value()
        key = hashlib.sha256(
            "\0".join([auth.token_url, auth.client_id, secret, auth.scope]).encode()
        ).hexdigest()
        now = time.monotonic()
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached is not None and cached[1] > now and not renew:
                return cached[0]
        form = {"grant_type": "client_credentials"}
        if auth.scope:
            form["scope"] = auth.scope
        headers = {"Accept": "application/json"}
        if auth.client_auth == "basic":
            # RFC 6749 2.3.1: both parts form-encoded before Basic.
            headers["Authorization"] = _basic(
                quote(auth.client_id, safe=""), quote(secret, safe="")
            )
        else:
            form.update(client_id=auth.client_id, client_secret=secret)
        host = httpx.URL(auth.token_url).host
        failed = (
            f"Không lấy được mã truy cập OAuth2 từ {host} /"
            f" cannot get an OAuth2 access token from {host}"
        )
        try:
            response = self.http.request("POST", auth.token_url, data=form, headers=headers)
            data = response.json()
        except HttpError as exc:
            raise ConnectorError(f"{failed}: {exc}") from None
        except ValueError:
            raise ConnectorError(f"{failed}: not JSON") from None
        token = data.get("access_token") if isinstance(data, dict) else None
        kind = str(data.get("token_type") or "bearer") if isinstance(data, dict) else ""
        if not isinstance(token, str) or not token or kind.lower() != "bearer":
            raise ConnectorError(f"{failed}: no bearer access_token in the answer")
        try:
            lifetime = float(data.get("expires_in") or 300)
        except (TypeError, ValueError):
            lifetime = 300.0
        expires = now + max(0.0, lifetime - min(60.0, lifetime * 0.1))
        with _tokens_lock:
            for stale in [k for k, (_t, until) in _tokens.items() if until <= now]:
                del _tokens[stale]
            _tokens[key] = (token, expires)
        return token


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
