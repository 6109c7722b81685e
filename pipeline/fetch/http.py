"""HTTP for the fetch stage: one polite, guarded client on httpx (sync).

* only http/https, only hosts in `fetch.allowed_hosts`, and (unless `allow_private_addresses`) only public IPs:
  checked before every request and every redirect hop (at most 5, followed by hand), and again when the socket
  connects, so a DNS answer that changes between check and connect (rebinding) cannot reach a private address;
* a per-host rate limit shared by every client in the process;
* retries with exponential backoff and jitter on 408/425/429/5xx, connection errors, timeouts and truncated
  bodies, honouring Retry-After (seconds or HTTP date) on 429/503;
* bodies are streamed and cut off past `max_bytes` (or refused up front when Content-Length says so);
* with a `resume_dir`, a body is streamed into `<resume_dir>/<sha256(url)>.part` as it arrives; a download cut
  short (in this run or by a killed run) resumes with `Range: bytes=N-` and `If-Range: <validator>` when the server
  gave a strong ETag or a Last-Modified date. A 206 whose Content-Range does not start at N, a 200 (the file
  changed, or the server ignores ranges) or a 416 starts over from byte 0; nothing is resumed without a validator.
"""

from __future__ import annotations

import email.utils
import hashlib
import ipaddress
import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpcore
import httpx
from loguru import logger

from pipeline.config import FetchConfig
from pipeline.errors import FetchError, TooLargeError

MAX_REDIRECTS = 5
REDIRECT_STATUS = {301, 302, 303, 307, 308}
ACCEPT_PDF = "application/pdf,*/*;q=0.5"
ACCEPT_JSON = "application/json"
ACCEPT_ATOM = "application/atom+xml,application/xml;q=0.9"


class HttpStatusError(FetchError):
    """The server answered with a final non-2xx status (after retries when the status is transient)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass
class Fetched:
    url: str  # final URL, after redirects
    status: int
    content_type: str
    body: bytes
    location: str = ""  # the Location header of a redirect


# ---------------------------------------------------------------- where we may go


def host_allowed(host: str, patterns: list[str]) -> bool:
    """`host` matches an entry exactly, or is a subdomain of a '*.suffix' entry (not the bare suffix)."""
    host = host.lower().rstrip(".")
    for p in patterns:
        p = p.lower().strip().rstrip(".")
        if p.startswith("*."):
            if host.endswith(p[1:]) and len(host) > len(p) - 1:
                return True
        elif host == p:
            return True
    return False


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for loopback, private, link-local, multicast, reserved, unspecified and shared addresses,
    including IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4, Teredo)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return is_public_ip(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_ip(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour:
            return is_public_ip(ip.sixtofour)
        if ip.teredo:
            return all(is_public_ip(a) for a in ip.teredo)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def public_addresses(host: str, port: int) -> list[str]:
    """Resolve `host`; every address must be public (one private answer refuses the host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise httpx.ConnectError(f"cannot resolve host {host!r}: {e.strerror}") from e
    addrs = list(dict.fromkeys(info[4][0] for info in infos))
    for a in addrs:
        if not is_public_ip(ipaddress.ip_address(a.split("%")[0])):
            raise FetchError(f"refusing to fetch from private address {a} (host {host!r})")
    return addrs


def check_url(url: httpx.URL, cfg: FetchConfig) -> None:
    """Raise FetchError unless `url` is http(s), its host is allowed and (by default) public."""
    if url.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs are fetched, not {url.scheme!r}")
    if not url.host:
        raise FetchError(f"{url}: URL has no host")
    if not host_allowed(url.host, cfg.allowed_hosts):
        raise FetchError(f"{url}: host {url.host!r} is not in fetch.allowed_hosts")
    if not cfg.allow_private_addresses:
        try:
            public_addresses(url.host, url.port or (443 if url.scheme == "https" else 80))
        except FetchError as e:
            raise FetchError(f"{url}: {e}") from None


class PublicOnlyBackend(httpcore.NetworkBackend):
    """Network backend that resolves the host itself and connects only to public addresses."""

    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        err: Exception | None = None
        try:
            addrs = public_addresses(host, port)
        except httpx.ConnectError as e:
            raise httpcore.ConnectError(str(e)) from e
        for addr in addrs:
            try:
                return self._inner.connect_tcp(addr, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as e:  # try the next address
                err = e
        raise err or httpcore.ConnectError(f"no address for {host!r}")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise FetchError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# ---------------------------------------------------------------- politeness


class HostRateLimiter:
    """At most `per_s` request starts per second per host; `hold` defers a host (Retry-After). Thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, host: str, per_s: float) -> float:
        interval = 1.0 / per_s if per_s > 0 else 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)
        return delay

    def hold(self, host: str, seconds: float) -> None:
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + seconds)


LIMITER = HostRateLimiter()  # shared by every client in this process


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def backoff_s(attempt: int, base: float, cap: float) -> float:
    """Delay before retry number `attempt` (1, 2, ...): base * 2^(attempt-1), capped, with jitter in [d/2, d]."""
    d = min(cap, base * 2 ** (attempt - 1))
    return random.uniform(d / 2, d)


def _transient_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


# ---------------------------------------------------------------- the client


class _Truncated(Exception):
    def __init__(self, got: int, expected: int | None):
        super().__init__(f"truncated download ({got} of {expected if expected is not None else '?'} bytes)")


class _Retry(Exception):
    """A transient status: retry after `delay` seconds (None: use backoff)."""

    def __init__(self, reason: str, delay: float | None):
        super().__init__(reason)
        self.delay = delay


class HttpClient:
    def __init__(self, cfg: FetchConfig, limiter: HostRateLimiter = LIMITER):
        self.cfg = cfg
        self.limiter = limiter
        transport = httpx.HTTPTransport(retries=0, proxy=cfg.proxy)
        pool = getattr(transport, "_pool", None)
        if not cfg.allow_private_addresses and cfg.proxy is None:
            if hasattr(pool, "_network_backend"):
                pool._network_backend = PublicOnlyBackend(pool._network_backend)
            else:  # pragma: no cover - httpcore internals moved; the pre-request check still applies
                logger.warning("fetch: cannot pin connections to public addresses with this httpcore")
        ua = cfg.user_agent + (f" (mailto:{cfg.mailto})" if cfg.mailto else "")
        self._client = httpx.Client(
            transport=transport,
            headers={"User-Agent": ua},
            timeout=httpx.Timeout(cfg.timeout_s),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public --
    def get(
        self, url: str, params: dict | None = None, accept: str = "*/*", resume_dir: Path | None = None
    ) -> Fetched:
        """GET with redirects, retries and limits; a 2xx Fetched, else HttpStatusError / FetchError.

        `resume_dir`: keep partial bodies there and resume them with Range requests (see the module docstring)."""
        try:
            start = httpx.URL(url, params=params) if params else httpx.URL(url)
        except httpx.InvalidURL as e:
            raise FetchError(f"{url}: invalid URL ({e})") from None
        current = start
        for _hop in range(MAX_REDIRECTS + 1):
            got = self._with_retries(current, accept, resume_dir)
            if got.status in REDIRECT_STATUS:
                if not got.location:
                    raise FetchError(f"{current}: HTTP {got.status} redirect without a Location header")
                try:
                    current = current.join(got.location)
                except httpx.InvalidURL as e:
                    raise FetchError(f"{current}: redirect to an invalid URL {got.location!r} ({e})") from None
                continue
            if 200 <= got.status < 300:
                return got
            raise HttpStatusError(f"{current}: HTTP {got.status}", got.status)
        raise FetchError(f"{start}: more than {MAX_REDIRECTS} redirects")

    def get_json(self, url: str, params: dict | None = None) -> dict:
        got = self.get(url, params=params, accept=ACCEPT_JSON)
        try:
            data = json.loads(got.body)
        except ValueError:
            raise FetchError(f"{got.url}: response is not JSON") from None
        if not isinstance(data, dict):
            raise FetchError(f"{got.url}: expected a JSON object, got {type(data).__name__}")
        return data

    # -- internals --
    def _with_retries(self, url: httpx.URL, accept: str, resume_dir: Path | None = None) -> Fetched:
        cfg = self.cfg
        attempts = 1 + max(0, cfg.retries)
        reason = ""
        for attempt in range(attempts):
            try:
                return self._send(url, accept, resume_dir)
            except _Retry as e:
                reason, delay = str(e), e.delay
            except httpx.TimeoutException as e:
                reason, delay = f"timed out ({_timeout_kind(e)} {cfg.timeout_s:g} s)", None
            except _Truncated as e:
                reason, delay = str(e), None
            except httpx.TransportError as e:  # includes DNS failures: they may be transient
                reason, delay = f"connection failed ({type(e).__name__}: {e})", None
            except httpx.RequestError as e:  # e.g. a body that does not decode: retrying will not help
                raise FetchError(f"{url}: {type(e).__name__}: {e}") from None
            if attempt + 1 >= attempts:
                break
            if delay is not None:
                if delay > cfg.max_backoff_s:
                    raise FetchError(
                        f"{url}: {reason}; server asked to retry after {delay:g} s "
                        f"(more than fetch.max_backoff_s = {cfg.max_backoff_s:g} s)"
                    )
                self.limiter.hold(url.host, delay)  # later requests to this host wait too
                wait = delay
            else:
                wait = backoff_s(attempt + 1, cfg.backoff_s, cfg.max_backoff_s)
                time.sleep(wait)
            logger.warning(f"fetch: {url}: {reason}; retry {attempt + 1}/{attempts - 1} after {wait:.2f} s")
        raise FetchError(f"{url}: {reason} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})")

    def _send(self, url: httpx.URL, accept: str, resume_dir: Path | None = None) -> Fetched:
        """One request; the body is read only for 2xx answers."""
        cfg = self.cfg
        check_url(url, cfg)  # every attempt and every redirect hop
        self.limiter.wait(url.host, cfg.rate_limit_per_host)
        partial = Partial(resume_dir, str(url)) if resume_dir is not None else None
        headers = {"Accept": accept}
        if partial is not None:
            headers.update(partial.range_headers())
        request = self._client.build_request("GET", url, headers=headers)
        resp = self._client.send(request, stream=True)
        if partial is not None and resp.status_code in (200, 206, 416):
            try:
                return self._receive_resumable(url, resp, partial)
            finally:
                resp.close()
        try:
            status = resp.status_code
            if status in REDIRECT_STATUS:
                return Fetched(str(url), status, "", b"", location=resp.headers.get("location", ""))
            if _transient_status(status):
                delay = retry_after_s(resp.headers.get("retry-after")) if status in (429, 503) else None
                raise _Retry(f"HTTP {status}", delay)
            if not 200 <= status < 300:
                return Fetched(str(url), status, resp.headers.get("content-type", ""), b"")
            expected = _content_length(resp)
            if expected is not None and expected > cfg.max_bytes:
                raise TooLargeError(
                    f"{url}: Content-Length {expected} bytes is over fetch.max_bytes ({cfg.max_bytes} bytes)"
                )
            body = bytearray()
            try:
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > cfg.max_bytes:
                        raise TooLargeError(f"{url}: body is over fetch.max_bytes ({cfg.max_bytes} bytes); stopped")
            except httpx.RemoteProtocolError as e:  # peer closed before the end of the body
                raise _Truncated(resp.num_bytes_downloaded, expected) from e
            if expected is not None and resp.num_bytes_downloaded < expected:
                raise _Truncated(resp.num_bytes_downloaded, expected)
            return Fetched(str(url), status, resp.headers.get("content-type", ""), bytes(body))
        finally:
            resp.close()


    def _receive_resumable(self, url: httpx.URL, resp: httpx.Response, partial: Partial) -> Fetched:
        cfg = self.cfg
        status = resp.status_code
        if status == 416:  # our range is past the end: the file changed under us
            partial.discard()
            raise _Retry("HTTP 416 to a resume request; starting over", None)
        offset = 0
        if status == 206:
            start, total = _content_range(resp.headers.get("content-range"))
            if start is None or start != partial.size():
                partial.discard()
                raise _Retry(f"HTTP 206 with Content-Range {resp.headers.get('content-range')!r}; starting over", None)
            offset = start
            expected = total
        else:
            expected = _content_length(resp)
        if expected is not None and expected > cfg.max_bytes:
            partial.discard()
            raise TooLargeError(f"{url}: Content-Length {expected} bytes is over fetch.max_bytes ({cfg.max_bytes} bytes)")
        partial.begin(offset, expected, _validator(resp))
        got = offset
        try:
            with partial.open(offset) as out:
                for chunk in resp.iter_bytes():
                    out.write(chunk)
                    got += len(chunk)
                    if got > cfg.max_bytes:
                        partial.discard()
                        raise TooLargeError(f"{url}: body is over fetch.max_bytes ({cfg.max_bytes} bytes); stopped")
        except httpx.RemoteProtocolError as e:  # peer closed before the end of the body: keep what came
            partial.keep_or_discard()
            raise _Truncated(got, expected) from e
        if expected is not None and got < expected:
            partial.keep_or_discard()
            raise _Truncated(got, expected)
        body = partial.finish()
        if offset:
            logger.info(f"fetch: {url}: resumed at byte {offset}, {len(body)} bytes in all")
        return Fetched(str(url), 200, resp.headers.get("content-type", ""), body)


class Partial:
    """A body being downloaded to `<dir>/<key>.part`, with `<key>.part.json` holding the URL, the validator
    (strong ETag or Last-Modified) and the expected total size, so a later attempt or run can resume it."""

    def __init__(self, directory: Path, url: str):
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        self.url = url
        self.dir = Path(directory)
        self.body = self.dir / f"{key}.part"
        self.meta = self.dir / f"{key}.part.json"

    def _meta(self) -> dict:
        try:
            m = json.loads(self.meta.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return m if isinstance(m, dict) and m.get("url") == self.url else {}

    def size(self) -> int:
        try:
            return self.body.stat().st_size
        except OSError:
            return 0

    def range_headers(self) -> dict[str, str]:
        validator = self._meta().get("validator")
        n = self.size()
        if not validator or n <= 0:
            return {}
        return {"Range": f"bytes={n}-", "If-Range": validator}

    def begin(self, offset: int, total: int | None, validator: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if offset == 0:
            self.body.unlink(missing_ok=True)
        meta = {"url": self.url, "validator": validator, "total": total}
        tmp = self.meta.with_name(self.meta.name + ".new")
        tmp.write_text(json.dumps(meta), "utf-8")
        tmp.replace(self.meta)

    def open(self, offset: int):
        f = open(self.body, "r+b" if offset and self.body.exists() else "wb")
        f.seek(offset)
        f.truncate()
        return f

    def keep_or_discard(self) -> None:
        """Keep the bytes received when a later request can resume them (a validator is known)."""
        if not self._meta().get("validator"):
            self.discard()

    def discard(self) -> None:
        self.body.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    def finish(self) -> bytes:
        data = self.body.read_bytes()
        self.discard()
        return data


def _validator(resp: httpx.Response) -> str | None:
    etag = resp.headers.get("etag")
    if etag and not etag.startswith("W/"):  # If-Range needs a strong validator
        return etag
    return resp.headers.get("last-modified") or None


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.I)


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    m = _CONTENT_RANGE.match(value or "")
    if not m:
        return None, None
    total = None if m.group(3) == "*" else int(m.group(3))
    return int(m.group(1)), total


def _content_length(resp: httpx.Response) -> int | None:
    try:
        n = int(resp.headers.get("content-length", ""))
    except ValueError:
        return None
    return n if n >= 0 else None


def _timeout_kind(e: httpx.TimeoutException) -> str:
    kinds = {httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read", httpx.WriteTimeout: "write"}
    return f"{kinds[type(e)]} timeout" if type(e) in kinds else "timeout"
