"""Why a probe failed, as stable codes, and the one exception every source raises.

`classify` is a pure mapping from the exceptions aiohttp, PyAV, ssl and the socket
layer raise to a `ProbeFailure`. Codes are part of the event contract (`probe.failed`
events carry them): add new ones, never rename.
"""

from __future__ import annotations

import errno
import socket
import ssl

import aiohttp
import av.error

from bus.vocabulary import ProbeFailure
from config.logging import scrub


class ProbeError(Exception):
    """A probe failed for the reason `code`; `detail` is safe to log (credentials scrubbed)."""

    def __init__(self, code: ProbeFailure, detail: str) -> None:
        self.code = code
        self.detail = scrub(detail)
        super().__init__(f"{code}: {self.detail}")

    def __reduce__(self) -> tuple[type[ProbeError], tuple[ProbeFailure, str]]:
        return (ProbeError, (self.code, self.detail))


def failure_for_status(status: int) -> ProbeFailure | None:
    """The failure an HTTP or RTSP status means, or None for a success."""
    if 200 <= status < 300:
        return None
    if status in (401, 403):
        return ProbeFailure.AUTH
    if status == 404:
        return ProbeFailure.NOT_FOUND
    return ProbeFailure.HTTP_ERROR


_ERRNO_FAILURES = {
    errno.ECONNREFUSED: ProbeFailure.REFUSED,
    errno.EHOSTUNREACH: ProbeFailure.UNREACHABLE,
    errno.ENETUNREACH: ProbeFailure.UNREACHABLE,
    errno.EHOSTDOWN: ProbeFailure.UNREACHABLE,
    errno.ETIMEDOUT: ProbeFailure.TIMEOUT,
    errno.ECONNRESET: ProbeFailure.DISCONNECTED,
    errno.EPIPE: ProbeFailure.DISCONNECTED,
    errno.ECONNABORTED: ProbeFailure.DISCONNECTED,
}

# PyAV's HTTP-style errors carry no status; their classes do.
_AV_STATUS_FAILURES: tuple[tuple[type[BaseException], ProbeFailure], ...] = (
    (av.error.HTTPUnauthorizedError, ProbeFailure.AUTH),
    (av.error.HTTPForbiddenError, ProbeFailure.AUTH),
    (av.error.HTTPNotFoundError, ProbeFailure.NOT_FOUND),
    (av.error.HTTPClientError, ProbeFailure.HTTP_ERROR),
    (av.error.HTTPServerError, ProbeFailure.HTTP_ERROR),
    (av.error.HTTPError, ProbeFailure.HTTP_ERROR),
)


def _classify_aiohttp(exc: aiohttp.ClientError) -> ProbeFailure | None:
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ProbeFailure.DNS
    if isinstance(exc, aiohttp.ClientSSLError):
        return ProbeFailure.TLS
    if isinstance(exc, aiohttp.ClientConnectorError):
        return classify(exc.os_error) or ProbeFailure.UNREACHABLE
    if isinstance(exc, aiohttp.ClientResponseError):
        return failure_for_status(exc.status) or ProbeFailure.HTTP_ERROR
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return ProbeFailure.DISCONNECTED
    if isinstance(exc, aiohttp.ClientOSError):
        return _classify_os_error(exc)
    return None


def _classify_os_error(exc: OSError) -> ProbeFailure:
    if isinstance(exc, ConnectionRefusedError):
        return ProbeFailure.REFUSED
    if isinstance(exc, ConnectionError):
        return ProbeFailure.DISCONNECTED
    return _ERRNO_FAILURES.get(exc.errno or 0, ProbeFailure.DISCONNECTED)


def classify(exc: BaseException) -> ProbeFailure | None:
    """The probe failure `exc` stands for, or None when it is not a probe failure (a bug).

    Order matters: several libraries' errors subclass both their own base and a
    builtin (aiohttp's TLS errors are OSErrors, PyAV's are builtins too).
    """
    if isinstance(exc, ProbeError):
        return exc.code
    if isinstance(exc, socket.gaierror):
        return ProbeFailure.DNS
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ProbeFailure.TLS
    if isinstance(exc, TimeoutError | av.error.ExitError):
        # PyAV reports its own read/open timeout as "Immediate exit requested" (ExitError).
        return ProbeFailure.TIMEOUT
    if isinstance(exc, aiohttp.ClientError):
        return _classify_aiohttp(exc)
    for kind, failure in _AV_STATUS_FAILURES:
        if isinstance(exc, kind):
            return failure
    if isinstance(exc, av.error.InvalidDataError | av.error.DecoderNotFoundError):
        return ProbeFailure.DECODE_ERROR
    if isinstance(exc, EOFError):
        return ProbeFailure.DISCONNECTED
    if isinstance(exc, OSError):
        return _classify_os_error(exc)
    if isinstance(exc, av.error.FFmpegError):
        # Any other FFmpeg error code: it read something it could not use.
        return ProbeFailure.DECODE_ERROR
    return None


def describe(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """`Type: message` of an exception, safe to log.

    `secrets` (a URL with credentials in it, a password) are cut out first, since a
    library may echo them in its message; anything else credential-like is scrubbed.
    """
    text = f"{type(exc).__name__}: {str(exc) or repr(exc)}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return scrub(text)


def probe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> ProbeError | None:
    """A ProbeError for a library exception, or None when `classify` does not know it."""
    if isinstance(exc, ProbeError):
        return exc
    code = classify(exc)
    return None if code is None else ProbeError(code, describe(exc, secrets))
