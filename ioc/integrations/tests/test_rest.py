"""The hardened HTTP client and the REST/JSON connector, against a real local HTTP server.

The server listens on 127.0.0.1, so these tests pass ``allow_private=True`` except those
that check that private addresses are refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa
import pytest

from ioc.integrations import http as ioc_http
from ioc.integrations import vault
from ioc.integrations.connectors import base, rest
from ioc.integrations.connectors.base import ConnectorError
from ioc.integrations.http import BlockedAddressError, HttpClient, HttpError


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    length: bool = True  # send Content-Length (else the body ends when the connection closes)


Route = Callable[[Seen], Reply]


class App:
    """What the server answers (routes by path) and what it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        size = int(handler.headers.get("Content-Length") or 0)
        seen = Seen(
            handler.command,
            parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True)),
            {k.lower(): v for k, v in handler.headers.items()},
            handler.rfile.read(size) if size else b"",
        )
        with self.lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        counted = True
        try:
            route = self.routes.get(parts.path)
            reply = route(seen) if route else Reply(404, {"error": "not found"})
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body
            if not isinstance(body, bytes):
                body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            # Done working: stop counting before the client can see the answer (and send
            # its next request), or two requests would overlap here only in appearance.
            with self.lock:
                self.in_flight -= 1
                counted = False
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            if reply.length:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            if counted:
                with self.lock:
                    self.in_flight -= 1


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.app.handle(self)  # type: ignore[attr-defined]

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (time-out tests) is not an error here


@pytest.fixture
def app() -> Iterator[App]:
    the_app = App()
    server = Server(("127.0.0.1", 0), Handler)
    server.app = the_app  # type: ignore[attr-defined]
    the_app.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield the_app
    server.shutdown()
    server.server_close()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(**options: Any) -> HttpClient:
    options.setdefault("allow_private", True)
    options.setdefault("sleep", Sleeps())
    return HttpClient(**options)


def connector(config: dict[str, Any], watermark: str | None = None) -> rest.RestConnector:
    config.setdefault("allow_private", True)
    return rest.RestConnector(
        rest.RestConnector.parse_config(config), watermark=watermark, sleep=Sleeps()
    )


def rows(conn: rest.RestConnector) -> list[dict[str, Any]]:
    tables = list(conn.read())
    for table in tables:
        assert isinstance(table, pa.Table)
        assert all(pa.types.is_string(t) for t in table.schema.types)
    if not tables:
        return []
    return pa.concat_tables(tables, promote_options="default").to_pylist()


def bilingual(message: str) -> None:
    assert " / " in message, message


# --- addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104  (an address checked, not bound)
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "not an address",
    ],
)
def test_private_and_reserved_addresses_are_forbidden(address: str) -> None:
    assert ioc_http.is_forbidden_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "14.225.0.1", "2606:4700:4700::1111"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not ioc_http.is_forbidden_address(address)


def test_the_local_server_is_refused_without_allow_private(app: App) -> None:
    app.routes["/"] = lambda s: Reply(200, [])
    with client(allow_private=False) as c, pytest.raises(BlockedAddressError) as caught:
        c.get(app.url("/"))
    assert "127.0.0.1" in str(caught.value)
    bilingual(str(caught.value))
    assert app.seen == []  # refused before connecting
    with client(allow_private=True) as c:
        assert c.get(app.url("/")).status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://10.20.30.40/api",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "https://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_private_urls_are_refused(url: str) -> None:
    with client(allow_private=False) as c, pytest.raises(BlockedAddressError):
        c.get(url)


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ioc_http, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with client(allow_private=False) as c, pytest.raises(BlockedAddressError) as caught:
        c.get("https://api.so-xay-dung.example/v1")
    assert "10.0.0.7" in str(caught.value)
    with pytest.raises(BlockedAddressError):
        ioc_http.check_url("https://api.so-xay-dung.example/v1")


def test_a_redirect_to_a_private_address_is_refused(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """public.test "is public" (it resolves to the local server, which this test treats as
    public); its redirect to the cloud metadata address is refused all the same."""
    resolve, forbidden = ioc_http.resolve, ioc_http.is_forbidden_address
    monkeypatch.setattr(
        ioc_http,
        "resolve",
        lambda host, port: ["127.0.0.1"] if host == "public.test" else resolve(host, port),
    )
    monkeypatch.setattr(
        ioc_http, "is_forbidden_address", lambda a: a != "127.0.0.1" and forbidden(a)
    )
    app.routes["/ok"] = lambda s: Reply(200, {"ok": True})
    app.routes["/jump"] = lambda s: Reply(
        302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with client(allow_private=False) as c:
        assert c.get(app.url("/ok", host="public.test")).json() == {"ok": True}
        with pytest.raises(BlockedAddressError) as caught:
            c.get(app.url("/jump", host="public.test"))
    assert "169.254.169.254" in str(caught.value)
    assert app.paths() == ["/ok", "/jump"]


def test_only_http_and_https() -> None:
    with client() as c:
        for url in ("file:///etc/passwd", "ftp://example.vn/x", "gopher://example.vn/"):
            with pytest.raises(HttpError) as caught:
                c.get(url)
            bilingual(str(caught.value))


# --- redirects, headers ------------------------------------------------------------------


def test_redirects_are_followed_and_credentials_stay_on_their_server(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve = ioc_http.resolve
    monkeypatch.setattr(
        ioc_http,
        "resolve",
        lambda host, port: ["127.0.0.1"] if host == "other.test" else resolve(host, port),
    )
    app.routes["/a"] = lambda s: Reply(301, headers={"Location": "/b"})
    app.routes["/b"] = lambda s: Reply(307, headers={"Location": app.url("/c", "other.test")})
    app.routes["/c"] = lambda s: Reply(200, {"done": 1})
    headers = {"Authorization": "Bearer secret", "X-Api-Key": "k", "X-Trace": "t"}
    with client() as c:
        response = c.get(app.url("/a"), headers=headers, sensitive_headers=["x-api-key"])
    assert response.json() == {"done": 1}
    assert response.url == app.url("/c", "other.test")
    a, b, c_ = app.seen
    assert a.headers["authorization"] == b.headers["authorization"] == "Bearer secret"
    assert b.headers["x-api-key"] == "k"
    assert "authorization" not in c_.headers and "x-api-key" not in c_.headers
    assert c_.headers["x-trace"] == "t"
    assert a.headers["user-agent"] == "ioc-integration/0.1"


def test_a_303_after_post_becomes_a_get(app: App) -> None:
    app.routes["/submit"] = lambda s: Reply(303, headers={"Location": "/result"})
    app.routes["/result"] = lambda s: Reply(200, {"method": s.method})
    with client() as c:
        assert c.post(app.url("/submit"), json={"x": 1}).json() == {"method": "GET"}
    assert app.seen[0].body == b'{"x":1}'


def test_too_many_redirects(app: App) -> None:
    app.routes["/loop"] = lambda s: Reply(302, headers={"Location": "/loop"})
    with client() as c, pytest.raises(HttpError) as caught:
        c.get(app.url("/loop"))
    assert "too many redirects" in str(caught.value)
    bilingual(str(caught.value))
    assert len(app.seen) == 6  # the first request and 5 redirects


# --- retries -----------------------------------------------------------------------------


def countdown(failures: list[Reply], then: Reply) -> Route:
    queue = list(failures)
    return lambda s: queue.pop(0) if queue else then


def test_5xx_is_retried_with_backoff(app: App) -> None:
    app.routes["/x"] = countdown([Reply(500), Reply(503)], Reply(200, {"ok": 1}))
    sleeps = Sleeps()
    with client(sleep=sleeps) as c:
        assert c.get(app.url("/x")).json() == {"ok": 1}
    assert len(app.seen) == 3
    assert 1.0 <= sleeps[0] <= 1.2 and 2.0 <= sleeps[1] <= 2.4


def test_429_honours_retry_after(app: App) -> None:
    app.routes["/x"] = countdown([Reply(429, headers={"Retry-After": "7"})], Reply(200, []))
    sleeps = Sleeps()
    with client(sleep=sleeps) as c:
        assert c.get(app.url("/x")).status == 200
    assert sleeps == [7.0]


def test_retry_after_as_a_date_and_capped() -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=40)
    seconds = ioc_http.retry_after_seconds(email.utils.format_datetime(later, usegmt=True))
    assert seconds is not None and 35 <= seconds <= 40
    assert ioc_http.retry_after_seconds("86400") == 300.0
    assert ioc_http.retry_after_seconds("Thu, 01 Jan 1998 00:00:00 GMT") == 0.0
    assert ioc_http.retry_after_seconds("soon") is None
    assert ioc_http.retry_after_seconds(None) is None


def test_retries_run_out(app: App) -> None:
    app.routes["/x"] = lambda s: Reply(503, "maintenance")
    sleeps = Sleeps()
    with client(sleep=sleeps, max_retries=2) as c, pytest.raises(HttpError) as caught:
        c.get(app.url("/x"))
    assert caught.value.status == 503
    assert "127.0.0.1" in str(caught.value) and "HTTP 503" in str(caught.value)
    assert "maintenance" in str(caught.value)
    bilingual(str(caught.value))
    assert len(app.seen) == 3 and len(sleeps) == 2


def test_4xx_is_not_retried(app: App) -> None:
    app.routes["/x"] = lambda s: Reply(403)
    with client() as c, pytest.raises(HttpError) as caught:
        c.get(app.url("/x"))
    assert caught.value.status == 403 and len(app.seen) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    with client(sleep=sleeps, max_retries=2) as c, pytest.raises(HttpError) as caught:
        c.get(f"http://127.0.0.1:{port}/")
    assert "cannot connect to 127.0.0.1" in str(caught.value)
    bilingual(str(caught.value))
    assert len(sleeps) == 2


def test_a_slow_server_times_out_with_a_bilingual_error(app: App) -> None:
    app.routes["/slow"] = lambda s: Reply(200, [], delay=1.5)
    started = time.monotonic()
    with (
        client(read_timeout=0.3, max_retries=0) as c,
        pytest.raises(HttpError) as caught,
    ):
        c.get(app.url("/slow"))
    assert time.monotonic() - started < 1.2
    message = str(caught.value)
    assert "không trả lời kịp" in message and "did not answer in time" in message
    assert "127.0.0.1" in message


# --- size limit --------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_over_max_bytes_is_refused(app: App, declared: bool) -> None:
    app.routes["/big"] = lambda s: Reply(200, b"x" * 200_000, length=declared)
    app.routes["/small"] = lambda s: Reply(200, b"y" * 1000, length=declared)
    with client(max_bytes=100_000) as c:
        assert len(c.get(app.url("/small")).content) == 1000
        with pytest.raises(ioc_http.ResponseTooLargeError) as caught:
            c.get(app.url("/big"))
    bilingual(str(caught.value))
    assert "127.0.0.1" in str(caught.value)


# --- per-host limit ----------------------------------------------------------------------


def test_requests_in_flight_per_host_are_limited(app: App) -> None:
    app.routes["/work"] = lambda s: Reply(200, {"ok": 1}, delay=0.15)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            with client(per_host_limit=2) as c:  # each its own client: the limit is global
                c.get(app.url("/work"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert len(app.seen) == 6
    assert app.max_in_flight == 2
    assert ioc_http.HOST_SLOTS.in_flight("127.0.0.1") == 0


# --- the connector: configuration --------------------------------------------------------


def test_the_connector_is_registered() -> None:
    assert base.get("rest") is rest.RestConnector


def test_config_validation() -> None:
    good = rest.RestConnector.parse_config(
        {
            "url": "https://api.example.vn/v1/items?since={since}",
            "auth": {"type": "oauth2", "token_url": "https://id.example.vn/token",
                     "client_id": "ioc", "client_secret": "s3cret", "scope": "read"},
            "pagination": {"type": "cursor", "cursor_path": "meta.next"},
            "watermark_field": "updated_at",
        }
    )  # fmt: skip
    assert isinstance(good, rest.RestConfig)
    assert isinstance(good.auth, rest.OAuth2Auth) and "s3cret" not in repr(good)
    plain, secrets = vault.split(good.model_dump(mode="python", exclude_none=True))
    assert secrets == {"auth.client_secret": "s3cret"}
    assert plain["auth"]["client_secret"] == vault.MASK
    again = rest.RestConnector.parse_config(vault.merge(plain, secrets))
    assert again == good
    for bad in (
        {"url": "ftp://example.vn/x"},
        {"url": "https://example.vn", "unknown": 1},
        {"url": "https://example.vn", "auth": {"type": "digest"}},
        {"url": "https://example.vn", "since_param": "since"},  # no watermark_field
        {"url": "https://example.vn", "body": {"q": 1}},  # a body needs POST
        {"url": "https://example.vn", "headers": {"Bad Header": "x"}},
        {"url": "https://example.vn", "pagination": {"type": "page", "size": 0}},
    ):
        with pytest.raises(ConnectorError) as caught:
            rest.RestConnector.parse_config(bad)
        bilingual(str(caught.value))


def test_private_servers_are_refused_by_default(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(200, [{"a": 1}])
    conn = connector({"url": app.url("/items"), "allow_private": False})
    with pytest.raises(ConnectorError) as caught:
        rows(conn)
    assert "private" in str(caught.value)
    assert app.seen == []


# --- records -----------------------------------------------------------------------------


def test_records_become_text_columns(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(
        200,
        [
            {"id": 1, "ten": "Trạm Thủ Đức", "vi_tri": {"lat": 10.85, "lng": 106.75}, "ok": True},
            {"id": "A2", "tags": ["lũ", "mưa"], "ok": False, "ghi_chu": None, "muc": 1.5},
        ],
    )
    conn = connector({"url": app.url("/items")})
    assert rows(conn) == [
        {"id": "1", "ten": "Trạm Thủ Đức", "vi_tri": '{"lat": 10.85, "lng": 106.75}',
         "ok": "true", "tags": None, "ghi_chu": None, "muc": None},
        {"id": "A2", "ten": None, "vi_tri": None, "ok": "false", "tags": '["lũ", "mưa"]',
         "ghi_chu": None, "muc": "1.5"},
    ]  # fmt: skip
    assert conn.state.bytes_read > 100
    assert conn.state.source_id == ""


def test_records_path(app: App) -> None:
    app.routes["/nested"] = lambda s: Reply(200, {"data": {"items": [{"a": 1}, {"a": 2}]}})
    app.routes["/one"] = lambda s: Reply(200, {"a": 3, "b": "x"})
    app.routes["/null"] = lambda s: Reply(200, {"data": {"items": None}})
    assert rows(connector({"url": app.url("/nested"), "records_path": "data.items"})) == [
        {"a": "1"},
        {"a": "2"},
    ]
    assert rows(connector({"url": app.url("/one")})) == [{"a": "3", "b": "x"}]
    assert rows(connector({"url": app.url("/null"), "records_path": "data.items"})) == []
    app.routes["/empty"] = lambda s: Reply(204)
    assert rows(connector({"url": app.url("/empty"), "records_path": "data.items"})) == []
    with pytest.raises(ConnectorError) as caught:
        rows(connector({"url": app.url("/nested"), "records_path": "data.rows"}))
    assert "data.rows" in str(caught.value)
    bilingual(str(caught.value))


def test_garbage_is_a_connector_error(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(200, b"<html>Bad gateway</html>")
    with pytest.raises(ConnectorError) as caught:
        rows(connector({"url": app.url("/items")}))
    message = str(caught.value)
    assert "không phải JSON" in message and "not valid JSON" in message
    assert "<html>Bad gateway" in message


def test_a_record_that_is_not_an_object_is_rejected(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(200, [{"a": 1}, 5, "x", [1], {"a": 2}])
    conn = connector({"url": app.url("/items")})
    assert rows(conn) == [{"a": "1"}, {"a": "2"}]
    assert [(r.row_no, r.raw) for r in conn.state.rejects] == [(2, "5"), (3, '"x"'), (4, "[1]")]
    assert {r.reason for r in conn.state.rejects} == {
        "bản ghi không phải đối tượng JSON / the record is not a JSON object"
    }


def test_http_errors_become_connector_errors(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(404, {"detail": "no such list"})
    with pytest.raises(ConnectorError) as caught:
        rows(connector({"url": app.url("/items")}))
    assert "HTTP 404" in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_check_reads_the_first_page(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(200, {"items": [{"a": 1}] * 3, "next": "/items?p=2"})
    conn = connector(
        {
            "url": app.url("/items"),
            "records_path": "items",
            "pagination": {"type": "next_url", "next_path": "next"},
        }
    )
    assert conn.check() == "HTTP 200, trang đầu có 3 bản ghi / 3 records on the first page"
    assert len(app.seen) == 1


# --- pagination --------------------------------------------------------------------------

DATA = [{"id": n, "ten": f"Hồ sơ {n}"} for n in range(1, 6)]


def test_page_pagination(app: App) -> None:
    def route(s: Seen) -> Reply:
        page, size = int(s.query["page"]), int(s.query["per_page"])
        return Reply(200, {"results": DATA[(page - 1) * size : page * size]})

    app.routes["/items"] = route
    conn = connector(
        {
            "url": app.url("/items"),
            "records_path": "results",
            "pagination": {"type": "page", "size_param": "per_page", "size": 2},
        }
    )
    assert [r["id"] for r in rows(conn)] == ["1", "2", "3", "4", "5"]
    assert [s.query["page"] for s in app.seen] == ["1", "2", "3"]  # 2, 2, 1: done


def test_page_pagination_stops_on_an_empty_page(app: App) -> None:
    app.routes["/items"] = lambda s: Reply(200, DATA[:2] if s.query["page"] == "0" else [])
    conn = connector(
        {"url": app.url("/items"), "pagination": {"type": "page", "start": 0, "size": 2}}
    )
    assert len(rows(conn)) == 2
    assert [s.query["page"] for s in app.seen] == ["0", "1"]


def test_paging_values_in_the_url_template(app: App) -> None:
    def route(s: Seen) -> Reply:
        page = int(s.path.rsplit("/", 1)[1])
        return Reply(200, DATA[(page - 1) * 3 : page * 3])

    for n in range(1, 4):
        app.routes[f"/v1/items/page/{n}"] = route
    conn = connector(
        {
            "url": app.url("/v1/items/page/{page}"),
            "pagination": {"type": "page", "size_param": "", "size": 3},
        }
    )
    assert len(rows(conn)) == 5
    assert app.paths() == ["/v1/items/page/1", "/v1/items/page/2"]
    assert all("page" not in s.query for s in app.seen)


def test_offset_pagination(app: App) -> None:
    def route(s: Seen) -> Reply:
        start, limit = int(s.query["skip"]), int(s.query["take"])
        return Reply(200, {"value": DATA[start : start + limit]})

    app.routes["/items"] = route
    conn = connector(
        {
            "url": app.url("/items"),
            "records_path": "value",
            "pagination": {"type": "offset", "offset_param": "skip", "limit_param": "take",
                           "limit": 2},
        }
    )  # fmt: skip
    assert len(rows(conn)) == 5
    assert [s.query["skip"] for s in app.seen] == ["0", "2", "4"]


def test_cursor_pagination(app: App) -> None:
    cursors = {"": ("c1", DATA[:2]), "c1": ("c2", DATA[2:4]), "c2": (None, DATA[4:])}

    def route(s: Seen) -> Reply:
        following, page = cursors[s.query.get("after", "")]
        return Reply(200, {"data": page, "meta": {"next": following}})

    app.routes["/items"] = route
    conn = connector(
        {
            "url": app.url("/items"),
            "records_path": "data",
            "pagination": {"type": "cursor", "cursor_path": "meta.next", "cursor_param": "after",
                           "size_param": "limit", "size": 2},
        }
    )  # fmt: skip
    assert len(rows(conn)) == 5
    assert [s.query.get("after") for s in app.seen] == [None, "c1", "c2"]
    assert all(s.query["limit"] == "2" for s in app.seen)


def test_link_header_pagination(app: App) -> None:
    def route(s: Seen) -> Reply:
        page = int(s.query.get("page", "1"))
        links = {}
        if page == 1:  # absolute, with other relations around it
            nxt = app.url("/items?page=2&token=abc")
            links["Link"] = f'<{app.url("/items")}>; rel="first", <{nxt}>; rel="next"'
        elif page == 2:  # relative
            links["Link"] = '</items?page=3>; rel="next last"'
        return Reply(200, DATA[(page - 1) * 2 : page * 2], headers=links)

    app.routes["/items"] = route
    conn = connector({"url": app.url("/items"), "pagination": {"type": "link"}})
    assert len(rows(conn)) == 5
    assert [s.query for s in app.seen] == [{}, {"page": "2", "token": "abc"}, {"page": "3"}]


def test_next_url_pagination_and_other_servers(app: App) -> None:
    def route(s: Seen) -> Reply:
        skip = int(s.query.get("$skip", "0"))
        body: dict[str, Any] = {"value": DATA[skip : skip + 3]}
        if skip == 0:
            body["@odata.nextLink"] = app.url("/odata/Items?$skip=3")
        return Reply(200, body)

    app.routes["/odata/Items"] = route
    config = {
        "url": app.url("/odata/Items"),
        "records_path": "value",
        "pagination": {"type": "next_url", "next_path": "@odata.nextLink"},
    }
    assert len(rows(connector(dict(config)))) == 5
    app.routes["/evil"] = lambda s: Reply(200, {"value": [], "next": "https://attacker.example/"})
    config.update(url=app.url("/evil"), pagination={"type": "next_url"})
    with pytest.raises(ConnectorError) as caught:
        rows(connector(config))
    assert "another server" in str(caught.value)


def test_max_pages_caps_the_read(app: App) -> None:
    again = {"Link": '</items>; rel="next"'}
    app.routes["/items"] = lambda s: Reply(200, [{"a": 1}], headers=again)
    app.routes["/more"] = lambda s: Reply(
        200, [{"a": 1}], headers={"Link": f'</more?n={len(app.seen)}>; rel="next"'}
    )
    conn = connector({"url": app.url("/more"), "pagination": {"type": "link"}, "max_pages": 4})
    assert len(rows(conn)) == 4
    assert any("max_pages" in line for line in conn.state.log)
    # A next link that repeats itself ends the read too.
    conn = connector({"url": app.url("/items"), "pagination": {"type": "link"}})
    assert len(rows(conn)) == 2


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        ({"type": "none"}, "authorization", None),
        ({"type": "api_key", "header": "X-Api-Key", "value": "k-123"}, "x-api-key", "k-123"),
        (
            {"type": "basic", "username": "sxd", "password": "mật-khẩu"},
            "authorization",
            "Basic " + base64.b64encode("sxd:mật-khẩu".encode()).decode(),
        ),
        ({"type": "bearer", "token": "tok-9"}, "authorization", "Bearer tok-9"),
    ],
)
def test_auth_headers(app: App, auth: dict[str, Any], header: str, expected: str | None) -> None:
    app.routes["/items"] = lambda s: (
        Reply(200, [{"a": 1}]) if s.headers.get(header) == expected else Reply(401)
    )
    assert rows(connector({"url": app.url("/items"), "auth": auth})) == [{"a": "1"}]
    assert app.seen[0].headers["accept"] == "application/json"


def oauth_server(app: App, issued: list[str]) -> None:
    """A token endpoint (client credentials) and an API accepting the latest token only."""

    def token(s: Seen) -> Reply:
        form = dict(parse_qsl(s.body.decode()))
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "doc":
            return Reply(400, {"error": "invalid_request"})
        basic = s.headers.get("authorization", "")
        ok_basic = basic == "Basic " + base64.b64encode(b"ioc%2Fapp:s%26cret").decode()
        ok_body = form.get("client_id") == "ioc/app" and form.get("client_secret") == "s&cret"
        if not (ok_basic or ok_body):
            return Reply(401, {"error": "invalid_client"})
        issued.append(f"t{len(issued) + 1}")
        return Reply(200, {"access_token": issued[-1], "token_type": "Bearer", "expires_in": 3600})

    def items(s: Seen) -> Reply:
        if not issued or s.headers.get("authorization") != f"Bearer {issued[-1]}":
            return Reply(401, {"error": "invalid_token"})
        page = int(s.query["page"])
        return Reply(200, DATA[(page - 1) * 2 : page * 2])

    app.routes["/token"] = token
    app.routes["/items"] = items


@pytest.mark.parametrize("client_auth", ["basic", "body"])
def test_oauth2_token_is_fetched_once_and_cached(app: App, client_auth: str) -> None:
    rest.clear_token_cache()
    issued: list[str] = []
    oauth_server(app, issued)
    config = {
        "url": app.url("/items"),
        "auth": {"type": "oauth2", "token_url": app.url("/token"), "client_id": "ioc/app",
                 "client_secret": "s&cret", "scope": "doc", "client_auth": client_auth},
        "pagination": {"type": "page", "size": 2},
    }  # fmt: skip
    assert len(rows(connector(dict(config)))) == 5
    assert issued == ["t1"]
    assert app.paths() == ["/token", "/items", "/items", "/items"]
    assert len(rows(connector(dict(config)))) == 5  # the next run: the cached token
    assert issued == ["t1"]


def test_oauth2_token_revoked_is_renewed_once(app: App) -> None:
    rest.clear_token_cache()
    issued: list[str] = []
    oauth_server(app, issued)
    config = {
        "url": app.url("/items"),
        "auth": {"type": "oauth2", "token_url": app.url("/token"), "client_id": "ioc/app",
                 "client_secret": "s&cret", "scope": "doc"},
        "pagination": {"type": "page", "size": 2},
    }  # fmt: skip
    assert len(rows(connector(dict(config)))) == 5
    issued.append("t-server-side")  # the server now only accepts a token the client lacks
    issued_before = len(issued)
    assert len(rows(connector(dict(config)))) == 5
    assert len(issued) == issued_before + 1  # one new token, then every page worked


def test_oauth2_token_endpoint_failure(app: App) -> None:
    rest.clear_token_cache()
    app.routes["/token"] = lambda s: Reply(401, {"error": "invalid_client"})
    conn = connector(
        {
            "url": app.url("/items"),
            "auth": {"type": "oauth2", "token_url": app.url("/token"), "client_id": "x",
                     "client_secret": "wrong"},
        }
    )  # fmt: skip
    with pytest.raises(ConnectorError) as caught:
        rows(conn)
    assert "OAuth2" in str(caught.value) and "HTTP 401" in str(caught.value)
    assert "wrong" not in str(caught.value)


# --- incremental reads -------------------------------------------------------------------


def test_incremental_watermark(app: App) -> None:
    changes = [
        {"id": 1, "updated_at": "2026-11-20T08:00:00+07:00"},  # 01:00 UTC
        {"id": 2, "updated_at": "2026-11-20T02:30:00Z"},  # the latest, 02:30 UTC
        {"id": 3, "updated_at": "2026-11-19T23:00:00Z"},
        {"id": 4, "updated_at": None},
    ]
    app.routes["/changes"] = lambda s: Reply(200, {"items": [] if "since" in s.query else changes})
    config = {
        "url": app.url("/changes"),
        "records_path": "items",
        "watermark_field": "updated_at",
        "since_param": "since",
    }
    first = connector(dict(config))
    assert len(rows(first)) == 4
    assert "since" not in app.seen[0].query
    assert first.state.watermark == "2026-11-20T02:30:00Z"

    second = connector(dict(config), watermark=first.state.watermark)
    assert rows(second) == []
    assert app.seen[1].query["since"] == "2026-11-20T02:30:00Z"
    assert second.state.watermark == "2026-11-20T02:30:00Z"  # nothing new: kept


def test_watermark_in_the_url_numbers_and_initial_since(app: App) -> None:
    app.routes["/v1/events"] = lambda s: Reply(200, [{"seq": 9}, {"seq": 10}, {"seq": 2}])
    config = {
        "url": app.url("/v1/events?from={since}"),
        "watermark_field": "seq",
        "initial_since": "0",
    }
    conn = connector(dict(config))
    assert len(rows(conn)) == 3
    assert conn.state.watermark == "10"  # numbers compare as numbers, not text
    assert app.seen[0].query == {"from": "0"}
    again = connector(dict(config), watermark="10")
    rows(again)
    assert app.seen[1].query == {"from": "10"}


def test_post_with_a_body_template(app: App) -> None:
    app.routes["/search"] = lambda s: Reply(
        200, {"hits": [{"id": 1}]} if json.loads(s.body)["page"] == "1" else {"hits": []}
    )
    conn = connector(
        {
            "url": app.url("/search"),
            "method": "POST",
            "body": {"filter": {"updated_after": "{since}"}, "page": "{page}", "size": 50},
            "records_path": "hits",
            "pagination": {"type": "page", "page_param": "", "size_param": "", "size": 1},
            "watermark_field": "id",
            "initial_since": "2026-01-01",
        }
    )
    assert len(rows(conn)) == 1
    bodies = [json.loads(s.body) for s in app.seen]
    assert bodies == [
        {"filter": {"updated_after": "2026-01-01"}, "page": "1", "size": 50},
        {"filter": {"updated_after": "2026-01-01"}, "page": "2", "size": 50},
    ]
    assert all(s.method == "POST" and s.query == {} for s in app.seen)


def test_retries_inside_the_connector(app: App) -> None:
    app.routes["/items"] = countdown(
        [Reply(503), Reply(429, headers={"Retry-After": "2"})], Reply(200, [{"a": 1}])
    )
    conn = connector({"url": app.url("/items"), "max_retries": 2})
    assert len(rows(conn)) == 1
    assert isinstance(conn._sleep, Sleeps) and len(conn._sleep) == 2 and conn._sleep[1] == 2.0
    conn.close()
