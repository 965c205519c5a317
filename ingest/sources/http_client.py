"""One shared aiohttp session for every HTTP camera source of a worker.

aiohttp was measured against httpx on many small JPEG fetches over keep-alive
connections (benchmarks/http_clients.py; figures in docs/performance.md § Sources)
and was an order of magnitude faster and cheaper per request, so it is the client.

Authentication follows the camera's challenge: a Digest challenge (Hikvision, Dahua)
is answered by aiohttp's DigestAuthMiddleware, which then authenticates later
requests pre-emptively without another 401 round trip; Basic credentials are only
sent after the camera asked for Basic, so a password never goes out in clear text to
a camera that would have accepted Digest.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from bus.vocabulary import ProbeFailure
from ingest.sources.closing import AsyncClosing
from ingest.sources.credentials import Credentials, describe_url
from ingest.sources.failures import ProbeError, failure_for_status, probe_error


@dataclass(frozen=True, slots=True)
class HttpTimeouts:
    """connect_s: TCP and TLS setup; read_s: longest silence between bytes;
    total_s: a whole snapshot request (streams have no total)."""

    connect_s: float = 3.0
    read_s: float = 5.0
    total_s: float = 10.0

    def __post_init__(self) -> None:
        if min(self.connect_s, self.read_s, self.total_s) <= 0:
            raise ValueError(f"timeouts must be positive: {self}")

    def for_request(self, *, stream: bool) -> aiohttp.ClientTimeout:
        total = None if stream else self.total_s
        return aiohttp.ClientTimeout(total=total, connect=self.connect_s, sock_read=self.read_s)


DEFAULT_HTTP_TIMEOUTS = HttpTimeouts()


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Connection pool limits. Cameras are small devices: a couple of connections each."""

    max_connections: int = 1000
    per_host: int = 2
    keepalive_s: float = 75.0
    dns_cache_s: float = 300.0

    def __post_init__(self) -> None:
        if self.max_connections < 1 or self.per_host < 1:
            raise ValueError(f"connection limits must be at least 1: {self}")


DEFAULT_HTTP_LIMITS = HttpLimits()


def user_agent(worker_id: str | None) -> str:
    return "gridwatch-probe/1" + (f" (worker {worker_id})" if worker_id else "")


def worker_of(agent: str) -> str | None:
    """The worker named in a `user_agent`, if any."""
    head, _, rest = agent.partition(" (worker ")
    return rest.removesuffix(")") if head == "gridwatch-probe/1" and rest else None


class HttpClient(AsyncClosing):
    """The session and connection pool; create one per worker, inside its event loop.

    keepalive_s above the usual 60 s probe interval lets the next probe of a camera
    reuse its connection when the camera keeps it open.
    """

    def __init__(
        self,
        limits: HttpLimits = DEFAULT_HTTP_LIMITS,
        ssl_context: ssl.SSLContext | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.limits = limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections,
            limit_per_host=limits.per_host,
            keepalive_timeout=limits.keepalive_s,
            ttl_dns_cache=int(limits.dns_cache_s),
            ssl=ssl_context if ssl_context is not None else True,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            # The worker's name lets a camera's (or the simulator's) log say who probed it.
            headers={"User-Agent": user_agent(worker_id)},
            auto_decompress=False,
        )

    async def aclose(self) -> None:
        await self.session.close()


class CameraAuth:
    """Per-camera authentication state: the Digest nonce and whether it asked for Basic."""

    def __init__(self, credentials: Credentials) -> None:
        password = credentials.password.get_secret_value()
        self._digest = aiohttp.DigestAuthMiddleware(credentials.username, password)
        self._basic = aiohttp.encode_basic_auth(credentials.username, password)
        self._use_basic = False
        self.secrets = (password,)

    def request_options(self) -> dict[str, Any]:
        if self._use_basic:
            return {"headers": {"Authorization": self._basic}}
        return {"middlewares": (self._digest,)}

    def retry_with_basic(self, response: aiohttp.ClientResponse) -> bool:
        """True once, when the camera answers 401 with a Basic challenge."""
        if self._use_basic or response.status != 401:
            return False
        challenges = response.headers.getall("WWW-Authenticate", [])
        if any(value.lower().startswith("digest") for value in challenges):
            return False
        if any(value.lower().startswith("basic") for value in challenges):
            self._use_basic = True
            return True
        return False

    def __repr__(self) -> str:
        return "CameraAuth(***)"


@contextmanager
def classified_errors(url: str, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Turn library exceptions raised inside the block into ProbeErrors naming `url` (redacted).

    Exceptions `classify` does not know (bugs) pass through unchanged. The original is
    not chained, because its message or traceback may hold a credential.
    """
    try:
        yield
    except ProbeError:
        raise
    except Exception as exc:
        error = probe_error(exc, secrets)
        if error is None:
            raise
        raise ProbeError(error.code, f"{error.detail} ({describe_url(url)})") from None


@asynccontextmanager
async def open_response(
    client: HttpClient,
    url: str,
    auth: CameraAuth | None,
    timeouts: HttpTimeouts,
    *,
    stream: bool,
    verify_tls: bool = True,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """GET `url`, yielding a successful response; every failure becomes a ProbeError.

    A failure while the caller reads the body inside the block is classified too.
    """
    options: dict[str, Any] = {"timeout": timeouts.for_request(stream=stream)}
    if not verify_tls:
        options["ssl"] = False
    with classified_errors(url, auth.secrets if auth is not None else ()):
        for _ in range(2):
            auth_options = auth.request_options() if auth is not None else {}
            async with client.session.get(url, **options, **auth_options) as response:
                if auth is not None and auth.retry_with_basic(response):
                    continue
                failure = failure_for_status(response.status)
                if failure is not None:
                    raise ProbeError(
                        failure,
                        f"HTTP {response.status} {response.reason} from {describe_url(url)}",
                    )
                yield response
                return
        raise ProbeError(ProbeFailure.AUTH, f"HTTP 401 from {describe_url(url)}")


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The whole body, or ProbeError NOT_AN_IMAGE when it is larger than `max_bytes`."""
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise ProbeError(
            ProbeFailure.NOT_AN_IMAGE, f"body of {declared} B is over the {max_bytes} B limit"
        )
    body = await response.content.read(max_bytes + 1)
    while len(body) <= max_bytes:
        more = await response.content.read(max_bytes + 1 - len(body))
        if not more:
            return body
        body += more
    raise ProbeError(ProbeFailure.NOT_AN_IMAGE, f"body is over the {max_bytes} B limit")
