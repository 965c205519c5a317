"""`gridwatch broker`: the embedded MQTT broker on its own, for a multi-process setup."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from bus.embedded_broker import EmbeddedBroker


def broker_command(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free).")] = 1883,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run the embedded MQTT 3.1.1 broker (amqtt) until Ctrl-C. Production uses Mosquitto/EMQX."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with EmbeddedBroker(host, port or None) as broker:
        typer.echo(f"broker ready on {broker.url}")
        stop.wait()
