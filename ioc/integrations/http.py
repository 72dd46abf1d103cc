"""The platform's one outbound HTTP client, hardened for calling agency servers.

Every pull from an agency API (and every camera snapshot) goes through :class:`HttpClient`:

- **Timeouts**: connect 10 s, each read 30 s, and a whole response at most 300 s.
- **Size limit**: a body larger than ``max_bytes`` (50 MB) is refused: by its
  ``Content-Length`` before reading, or while streaming, counted after decompression.
- **No private addresses**: the client resolves each host itself (``socket.getaddrinfo``),
  refuses it when ANY address is private, loopback, link-local (169.254.169.254, the cloud
  metadata service), multicast, reserved, unspecified or otherwise not global, and then
  connects to the address it checked, so a DNS answer cannot change between the check and
  the connection. ``allow_private=True`` (a per-connection setting, off by default) lifts
  this for servers inside the government network.
- **Redirects**: never automatic; up to 5 are followed, each target checked like the first
  URL (scheme, address). Credentials (``Authorization``, ``Cookie`` and the headers the
  caller names as sensitive) are dropped when a redirect leaves the origin.
- **Retries** with exponential backoff and jitter on connection errors, time-outs, 429 and
  5xx; ``Retry-After`` (seconds or an HTTP date) is honoured, capped at 300 s. The sleep
  function is injectable so tests do not wait.
- **Per-host limit**: at most ``per_host_limit`` (4) requests in flight to one host name in
  the whole process, however many connections and threads call it.
- Only http and https; environment proxies and ``.netrc`` are ignored; the User-Agent is
  ``ioc-integration/0.1``.

Errors are :class:`HttpError` with a "Vietnamese / English" message naming the host (never
the full URL, which may hold a key) and, when there is one, the HTTP status::

    with HttpClient(max_bytes=5_000_000) as client:
        response = client.request("GET", "https://api.example.vn/v1/tram", params={"page": "1"})
        data = response.json()

This module depends on nothing but the standard library and httpx, so other apps can use it.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json as jsonlib
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpcore
import httpx

USER_AGENT = "ioc-integration/0.1"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
TOTAL_TIMEOUT = 300.0  # one response, headers to last byte
MAX_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_RETRIES = 3
PER_HOST_LIMIT = 4
RETRY_AFTER_CAP = 300.0
BACKOFF_BASE = 1.0  # seconds: 1, 2, 4, ... (+ up to 20 % jitter)
BACKOFF_CAP = 60.0
ERROR_SNIPPET = 300  # characters of an error body quoted in the message

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
ALWAYS_SENSITIVE = frozenset({"authorization", "proxy-authorization", "cookie"})
NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_jitter = random.SystemRandom()


class HttpError(RuntimeError):
    """A request that failed; the message is bilingual and names the host."""

    def __init__(self, message: str, *, host: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.host = host
        self.status = status


class BlockedAddressError(HttpError):
    """The host is (or resolves to) a private or reserved address."""


class ResponseTooLargeError(HttpError):
    """The body is larger than the client's ``max_bytes``."""


@dataclass(frozen=True)
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        charset = httpx.Response(self.status, headers=self.headers).charset_encoding
        try:
            return self.content.decode(charset or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


# --- addresses ---------------------------------------------------------------------------


def is_forbidden_address(address: str | IPAddress) -> bool:
    """True for every address a server must not be made to call without ``allow_private``:
    private, loopback, link-local, multicast, reserved, unspecified or not globally routed
    (shared 100.64/10, documentation ranges...). IPv4 inside IPv6 (::ffff:a.b.c.d, NAT64) is
    judged by its IPv4 address. Anything that is not an IP address is forbidden too."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (tests replace this)."""
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = str(sockaddr[0])
        if address not in found:
            found.append(address)
    return found


def _blocked(host: str, address: str) -> BlockedAddressError:
    shown = host if host == address else f"{host} ({address})"
    return BlockedAddressError(
        f"Địa chỉ {shown} là địa chỉ nội bộ hoặc dành riêng, không được phép gọi tới (nếu đây"
        f" đúng là máy chủ trong mạng nội bộ, bật «cho phép địa chỉ nội bộ» cho kết nối) /"
        f" {shown} is a private or reserved address and is refused (if this really is a server"
        f" on the internal network, allow private addresses on the connection)",
        host=host,
    )


def allowed_addresses(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """The addresses of ``host``, all checked; raises :class:`BlockedAddressError` when any
    one is forbidden and ``OSError`` when the name does not resolve."""
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"no address for {host}")
    if not allow_private:
        for address in addresses:
            if is_forbidden_address(address):
                raise _blocked(host, address)
    return addresses


def check_url(url: str | httpx.URL, *, allow_private: bool = False) -> httpx.URL:
    """Validate a URL before it is stored or called (a form can show the error): the scheme,
    the host, and, unless ``allow_private``, every address it resolves to."""
    target = _target(url)
    try:
        allowed_addresses(target.host, _port(target), allow_private=allow_private)
    except (OSError, UnicodeError):
        raise HttpError(
            f"Không phân giải được tên máy chủ {target.host} /"
            f" the host name {target.host} cannot be resolved",
            host=target.host,
        ) from None
    return target


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _target(url: str | httpx.URL) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise HttpError(f"Địa chỉ URL không hợp lệ / invalid URL: {str(url)[:200]}") from None
    if target.scheme not in ("http", "https"):
        raise HttpError(
            f"Chỉ hỗ trợ địa chỉ http và https, không hỗ trợ «{target.scheme}» /"
            f" only http and https URLs are supported, not «{target.scheme}»",
            host=target.host,
        )
    if not target.host:
        raise HttpError(f"Địa chỉ URL thiếu tên máy chủ / the URL has no host: {str(url)[:200]}")
    return target


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, and connects to a checked one: no DNS rebinding."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = allowed_addresses(host, port, allow_private=self.allow_private)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"name resolution failed ({exc})") from None
        error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --- the per-host limit ------------------------------------------------------------------


class _HostSlots:
    """Requests in flight per host name, process-wide. Like a BoundedSemaphore per host, but
    each caller passes its limit (a caller never starts while ``limit`` are in flight)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy: dict[str, int] = {}

    @contextmanager
    def hold(self, host: str, limit: int) -> Iterator[None]:
        key = host.lower()
        with self._cond:
            while self._busy.get(key, 0) >= limit:
                self._cond.wait()
            self._busy[key] = self._busy.get(key, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left = self._busy[key] - 1
                if left:
                    self._busy[key] = left
                else:
                    del self._busy[key]
                self._cond.notify_all()

    def in_flight(self, host: str) -> int:
        with self._cond:
            return self._busy.get(host.lower(), 0)


HOST_SLOTS = _HostSlots()


# --- retries -----------------------------------------------------------------------------


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number, or an HTTP date), capped; None when absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, RETRY_AFTER_CAP))


def _retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


# --- messages ----------------------------------------------------------------------------


def _status_error(host: str, status: int, detail: str) -> HttpError:
    if status in (401, 403):
        vi = f"Máy chủ {host} từ chối truy cập (HTTP {status}), kiểm tra thông tin xác thực"
        en = f"the server {host} refused access (HTTP {status}); check the credentials"
    elif status == 404:
        vi = f"Không tìm thấy địa chỉ trên máy chủ {host} (HTTP 404)"
        en = f"not found on the server {host} (HTTP 404)"
    elif status == 429:
        vi = f"Máy chủ {host} báo gửi quá nhiều yêu cầu (HTTP 429)"
        en = f"the server {host} says too many requests (HTTP 429)"
    elif status >= 500:
        vi = f"Máy chủ {host} gặp lỗi (HTTP {status})"
        en = f"the server {host} failed (HTTP {status})"
    else:
        vi = f"Máy chủ {host} trả về lỗi HTTP {status}"
        en = f"the server {host} answered HTTP {status}"
    text = f"{vi} / {en}"
    if detail:
        text += f": {detail}"
    return HttpError(text, host=host, status=status)


def _transport_error(host: str, exc: Exception, timeout: httpx.Timeout) -> HttpError:
    if isinstance(exc, httpx.ConnectTimeout):
        return HttpError(
            f"Không kết nối kịp tới máy chủ {host} (quá {timeout.connect:g} giây) /"
            f" connecting to {host} timed out (after {timeout.connect:g} s)",
            host=host,
        )
    if isinstance(exc, httpx.TimeoutException):
        return HttpError(
            f"Máy chủ {host} không trả lời kịp (quá {timeout.read:g} giây) /"
            f" the server {host} did not answer in time (after {timeout.read:g} s)",
            host=host,
        )
    reason = str(exc)[:200] or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return HttpError(
            f"Không kết nối được tới máy chủ {host} / cannot connect to {host}: {reason}",
            host=host,
        )
    return HttpError(
        f"Kết nối tới máy chủ {host} bị lỗi / the connection to {host} failed: {reason}",
        host=host,
    )


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host.lower(), _port(url)


# --- the client --------------------------------------------------------------------------


class HttpClient:
    """A hardened synchronous HTTP client; reuse one for a run (it keeps connections open)
    and close it, or use it as a context manager. Thread-safe."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_bytes: int = MAX_BYTES,
        max_retries: int = MAX_RETRIES,
        max_redirects: int = MAX_REDIRECTS,
        per_host_limit: int = PER_HOST_LIMIT,
        backoff: float = BACKOFF_BASE,
        verify: bool = True,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        slots: _HostSlots = HOST_SLOTS,
    ) -> None:
        if per_host_limit < 1 or max_bytes < 1 or max_retries < 0 or max_redirects < 0:
            raise ValueError("per_host_limit, max_bytes >= 1; max_retries, max_redirects >= 0")
        self.allow_private = allow_private
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_retries = max_retries
        self.max_redirects = max_redirects
        self.per_host_limit = per_host_limit
        self.backoff = backoff
        self.user_agent = user_agent
        self.sleep = sleep
        self.slots = slots
        transport = httpx.HTTPTransport(verify=verify, trust_env=False, retries=0)
        # httpx has no public hook for the network backend: the connection pool's is swapped
        # for one that checks addresses (asserted, so an httpx upgrade cannot silently drop it).
        pool = transport._pool
        assert isinstance(pool._network_backend, httpcore.NetworkBackend)
        pool._network_backend = _GuardedBackend(allow_private)
        self._client = httpx.Client(
            transport=transport,
            timeout=self.timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": user_agent},
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        sensitive_headers: Iterable[str] = (),
    ) -> Response:
        """One request, with redirects and retries; raises :class:`HttpError` for a status of
        400 or more (after retries), a refused address, a body too large, or a failure."""
        method = method.upper()
        target = _target(url)
        if params:
            target = target.copy_merge_params(dict(params))
        sent = httpx.Headers({"User-Agent": self.user_agent})
        sent.update(httpx.Headers(dict(headers or {})))
        sensitive = ALWAYS_SENSITIVE | {h.lower() for h in sensitive_headers}
        body: dict[str, Any] = {}
        if json is not None:
            body["json"] = json
        elif data is not None:
            body["data"] = dict(data)
        elif content is not None:
            body["content"] = content
        for hop in range(self.max_redirects + 1):
            response = self._send(method, target, sent, body)
            location = response.headers.get("location")
            if response.status not in REDIRECT_CODES or not location:
                return response
            if hop == self.max_redirects:
                break
            following = _target(target.join(location))
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET" if method != "HEAD" else method, {}
                for name in ("content-type", "content-length", "transfer-encoding"):
                    sent.pop(name, None)
            if _origin(following) != _origin(target):
                for name in list(sent.keys()):
                    if name.lower() in sensitive:
                        sent.pop(name, None)
            target = following
        raise HttpError(
            f"Quá nhiều lần chuyển hướng (hơn {self.max_redirects}) từ máy chủ {target.host} /"
            f" too many redirects (more than {self.max_redirects}) from {target.host}",
            host=target.host,
        )

    def _send(
        self, method: str, url: httpx.URL, headers: httpx.Headers, body: dict[str, Any]
    ) -> Response:
        """One hop, retried; returns 2xx/3xx responses, raises for the rest."""
        host = url.host
        attempt = 0
        while True:
            try:
                with (
                    self.slots.hold(host, self.per_host_limit),
                    self._client.stream(method, url, headers=headers, **body) as reply,
                ):
                    status = reply.status_code
                    if _retryable(status) and attempt < self.max_retries:
                        wait = retry_after_seconds(reply.headers.get("retry-after"))
                        delay = wait if wait is not None else self._backoff(attempt)
                    elif status >= 400:
                        raise _status_error(host, status, self._snippet(reply))
                    elif status in REDIRECT_CODES:
                        return Response(str(reply.url), status, reply.headers, b"")
                    else:
                        content = self._read(reply, host)
                        return Response(str(reply.url), status, reply.headers, content)
            except RETRY_ERRORS as exc:
                if attempt >= self.max_retries:
                    raise _transport_error(host, exc, self.timeout) from None
                delay = self._backoff(attempt)
            attempt += 1
            self.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.backoff * 2.0**attempt, BACKOFF_CAP)
        return delay + _jitter.uniform(0, delay * 0.2)

    def _too_large(self, host: str) -> ResponseTooLargeError:
        limit = f"{self.max_bytes / 1024 / 1024:.3g} MB"
        return ResponseTooLargeError(
            f"Phản hồi từ máy chủ {host} lớn hơn giới hạn {limit} /"
            f" the response from {host} is larger than the {limit} limit",
            host=host,
        )

    def _read(self, reply: httpx.Response, host: str) -> bytes:
        declared = reply.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(host)
        deadline = time.monotonic() + self.total_timeout
        chunks: list[bytes] = []
        size = 0
        for chunk in reply.iter_bytes():  # decompressed: a gzip bomb counts at full size
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(host)
            if time.monotonic() > deadline:
                raise HttpError(
                    f"Máy chủ {host} gửi dữ liệu quá lâu (hơn {self.total_timeout:g} giây) /"
                    f" the server {host} took too long to send (over {self.total_timeout:g} s)",
                    host=host,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _snippet(reply: httpx.Response) -> str:
        """The start of an error body, for the message (read at most a few KB)."""
        data = b""
        try:
            for chunk in reply.iter_bytes():
                data += chunk
                if len(data) >= 4096:
                    break
        except httpx.HTTPError:
            pass
        text = " ".join(data.decode("utf-8", errors="replace").split())
        return text[:ERROR_SNIPPET]


def request(method: str, url: str, *, allow_private: bool = False, **kwargs: Any) -> Response:
    """One request with a client of default settings (keyword arguments as ``request``)."""
    with HttpClient(allow_private=allow_private) as client:
        return client.request(method, url, **kwargs)
