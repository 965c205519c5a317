"""Webhooks against a real local aiohttp server: retried with back-off, filtered by matcher."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from alerts.domain import Alert, AlertStatus, Kind, Scope
from alerts.notify.notices import Notice, NoticeKind
from alerts.notify.webhooks import BadReceivers, WebhookNotifier, parse_receivers
from bus.embedded_broker import free_port
from tests.alerts.helpers import at, small_topology
from tests.bus.mqtt_helpers import wait_until


class Server:
    """Answers 500 to the first `failures` requests, then 200; records every body."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(json.loads(await request.read()))
        if len(self.bodies) <= self.failures:
            return web.Response(status=500)
        return web.Response(status=204)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server(failures=2)
    running.thread.start()
    running.ready.wait(10)
    yield running
    running.loop.call_soon_threadsafe(running.loop.stop)
    running.thread.join(10)


def alert(kind: Kind, priority: int) -> Alert:
    return Alert(
        id=f"id-{kind}", fingerprint=f"{kind}:camera:C00000", kind=kind, scope=Scope.CAMERA,
        subject="C00000", district_code="150402001001", status=AlertStatus.FIRING,
        started_at=at(0), last_seen_at=at(0), last_ts=at(0), camera_id="C00000",
        priority=priority,
    )  # fmt: skip


def test_delivered_after_retries_and_only_what_the_matcher_wants(server: Server) -> None:
    receivers = parse_receivers(
        {"receivers": [{"name": "duty", "url": server.url, "kinds": ["offline"],
                        "districts": ["150402001"], "min_priority": 40, "backoff_s": 0.05}]},
        "test",
    )  # fmt: skip
    topology = small_topology()
    notifier = WebhookNotifier(receivers, lambda: topology).start()
    try:
        notifier.send(
            [
                Notice(NoticeKind.CHANGED, alert(Kind.OFFLINE, 60)),
                Notice(NoticeKind.CHANGED, alert(Kind.FAULT, 90)),  # kind not wanted
                Notice(NoticeKind.CHANGED, alert(Kind.AUTH, 10)),  # kind and priority
            ]
        )
        wait_until(lambda: notifier.delivered == 1, 10, "the delivery")
    finally:
        notifier.stop()
    assert notifier.attempts == 3
    assert [body["kind"] for body in server.bodies] == ["offline"] * 3
    assert server.bodies[-1]["alert_id"] == "id-offline"


def test_a_bad_receivers_file_says_what_is_wrong() -> None:
    with pytest.raises(BadReceivers, match="receiver 1: needs an http"):
        parse_receivers({"receivers": [{"name": "x", "url": "ftp://x"}]}, "receivers.yaml")
