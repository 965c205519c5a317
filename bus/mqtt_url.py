"""`mqtt[s]://[user:pass@]host[:port]` broker URLs, parsed once, never printed whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from config.logging import scrub
from config.redact import redact_url, split_credentials

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


class BadMqttUrl(ValueError):
    """A broker URL we cannot use. The message shows the URL with its password masked."""


@dataclass(frozen=True, slots=True)
class MqttEndpoint:
    """Where the broker is and how to log in. `repr` and `display` never show the password."""

    host: str
    port: int
    tls: bool
    display: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


def _shown(url: str) -> str:
    try:
        return redact_url(url)
    except ValueError:  # e.g. a port out of range, which redact_url reads
        return scrub(url)


def parse_mqtt_url(url: str) -> MqttEndpoint:
    shown = _shown(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadMqttUrl(f"broker URL {shown!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadMqttUrl(f"broker URL {shown!r}: the scheme must be mqtt:// or mqtts://")
    if not parts.hostname:
        raise BadMqttUrl(f"broker URL {shown!r} has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadMqttUrl(f"broker URL {shown!r}: expected mqtt[s]://[user:pass@]host[:port]")
    _, username, password = split_credentials(url)
    return MqttEndpoint(
        host=parts.hostname,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        tls=scheme == "mqtts",
        display=shown,
        username=username,
        password=password,
    )
