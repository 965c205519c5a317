"""An embedded amqtt broker that turns the ingest publisher away until the test opens a gate.

A restarted broker keeps no subscriptions, so a test must subscribe before the publisher
comes back, or the first events go to nobody. Refusing the publisher's CONNECT until
then makes that order certain instead of a race against paho's reconnect delay.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

from bus.embedded_broker import EmbeddedBroker

_GATES: dict[int, threading.Event] = {}
GATED_PREFIX = "gridwatch-ingest-"


class GatedAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """Anyone may connect, except ingest publishers while their port's gate is closed."""

    @dataclass
    class Config:
        port: int = 0

    async def authenticate(self, *, session: Session) -> bool:
        gate = _GATES[self.config.port]
        client_id = session.client_id or ""
        return gate.is_set() or not client_id.startswith(GATED_PREFIX)


class GatedBroker(EmbeddedBroker):
    """`GatedBroker(port=P)`; `open_gate()` lets the publisher in."""

    def __init__(self, port: int) -> None:
        super().__init__(port=port)
        _GATES[self.port] = threading.Event()

    def __enter__(self) -> GatedBroker:
        self.start()
        return self

    def open_gate(self) -> None:
        _GATES[self.port].set()

    def _config(self) -> dict[str, Any]:
        config = super()._config()
        config["plugins"] = {f"{__name__}.GatedAuthPlugin": {"port": self.port}}
        return config
