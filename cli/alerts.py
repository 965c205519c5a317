"""`gridwatch alerts`: the alert service (consumer, pipeline, notifications) and the case
side wired to it (opening, scheduler, case events) until Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading

import typer

from alerts.arming import BadArming
from alerts.notify.webhooks import BadReceivers
from alerts.priorities import BadPriorityRules
from bus.embedded_broker import EmbeddedBroker
from cli.context import settings_from
from cli.registry_access import open_registry


def alerts_command(ctx: typer.Context) -> None:
    """Consume events into alerts: de-duplicated, grouped by township and uplink, silenced,
    prioritized, stored, and published on the alert topic and to webhooks. Opens, links and
    supervises cases by the case rules (every GRIDWATCH_ALERTS_CASE_TICK_S: waits that ran
    out, verified closures, yellow/red cards) and publishes every case event on the cases topic.

    Run several with GRIDWATCH_MQTT_PROTOCOL=5 and one GRIDWATCH_ALERTS_SHARE_GROUP to
    split the stream (Mosquitto, EMQX); give each its own GRIDWATCH_ALERTS_CONSUMER_ID.
    Without GRIDWATCH_MQTT_URL an embedded broker is started on a free local port.
    """
    from alerts.app import run_alerts

    settings = settings_from(ctx)
    _, factory = open_registry(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        url = settings.resolved_mqtt_url
        if url is None:
            url = stack.enter_context(EmbeddedBroker()).url
            typer.echo(f"embedded MQTT broker on {url}")
        try:
            run_alerts(settings, factory, url, typer.echo, stop)
        except (BadPriorityRules, BadArming, BadReceivers, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
