"""Webhook receivers: each notice is POSTed as JSON to every receiver whose matcher wants
it, retried with exponential back-off, on an asyncio loop of its own (aiohttp).

The receivers file (`GRIDWATCH_ALERTS_RECEIVERS_FILE`):

    receivers:
      - name: county duty desk
        url: https://duty.example/hooks/gridwatch
        kinds: [group_offline, intrusion]   # optional
        districts: ["150402"]              # optional, each with its subtree
        min_priority: 50                   # optional
        send_resolved: true                # default
        max_attempts: 6                    # default 6, back-off 1 s doubling to 60 s
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from alerts.notify.notices import Notice, NoticeKind, payload
from alerts.topology import Topology
from config.logging import scrub

log = logging.getLogger(__name__)
MAX_PENDING = 10_000


class BadReceivers(ValueError):
    """The receivers file cannot be used; the message names the file and receiver."""


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    url: str
    kinds: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    min_priority: int = 0
    send_resolved: bool = True
    max_attempts: int = 6
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    timeout_s: float = 10.0

    def wants(self, notice: Notice, topology: Topology) -> bool:
        alert = notice.alert
        if notice.kind is NoticeKind.RESOLVED and not self.send_resolved:
            return False
        if self.kinds and str(alert.kind) not in self.kinds:
            return False
        if alert.priority < self.min_priority and notice.kind is not NoticeKind.RESOLVED:
            return False
        return not self.districts or any(
            topology.in_subtree(alert.district_code, code) for code in self.districts
        )


_FIELDS = {"name", "url", "kinds", "districts", "min_priority", "send_resolved",
           "max_attempts", "backoff_s", "backoff_max_s", "timeout_s"}  # fmt: skip


def parse_receivers(document: Any, where: str) -> tuple[Receiver, ...]:
    if document is None:
        return ()
    if not isinstance(document, dict) or not isinstance(document.get("receivers"), list):
        raise BadReceivers(f"{where}: expected a mapping with a `receivers` list")
    receivers = []
    for i, raw in enumerate(document["receivers"]):
        name = f"{where} receiver {i + 1}"
        if not isinstance(raw, dict) or not str(raw.get("url", "")).startswith("http"):
            raise BadReceivers(f"{name}: needs an http(s) `url`")
        unknown = set(raw) - _FIELDS
        if unknown:
            raise BadReceivers(f"{name}: unknown field(s) {', '.join(sorted(unknown))}")
        receivers.append(
            Receiver(
                name=str(raw.get("name", name)),
                url=str(raw["url"]),
                kinds=frozenset(str(k) for k in raw.get("kinds", ())),
                districts=frozenset(str(d) for d in raw.get("districts", ())),
                min_priority=int(raw.get("min_priority", 0)),
                send_resolved=bool(raw.get("send_resolved", True)),
                max_attempts=max(1, int(raw.get("max_attempts", 6))),
                backoff_s=float(raw.get("backoff_s", 1.0)),
                backoff_max_s=float(raw.get("backoff_max_s", 60.0)),
                timeout_s=float(raw.get("timeout_s", 10.0)),
            )
        )
    return tuple(receivers)


def load_receivers(path: Path | None) -> tuple[Receiver, ...]:
    if path is None:
        return ()
    try:
        return parse_receivers(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    except OSError as exc:
        raise BadReceivers(f"cannot read receivers {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BadReceivers(f"{path} is not valid YAML: {exc}") from None


class WebhookNotifier:
    def __init__(self, receivers: tuple[Receiver, ...], topology: Callable[[], Topology]) -> None:
        self.receivers = receivers
        self._topology = topology
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="webhooks", daemon=True)
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.attempts = 0
        self.given_up = 0

    def start(self) -> WebhookNotifier:
        self._thread.start()
        return self

    def send(self, notices: list[Notice]) -> None:
        topology = self._topology()
        for notice in notices:
            for receiver in self.receivers:
                if receiver.wants(notice, topology):
                    self._loop.call_soon_threadsafe(self._schedule, receiver, payload(notice))

    def _schedule(self, receiver: Receiver, body: bytes) -> None:
        if len(self._pending) >= MAX_PENDING:
            self.given_up += 1
            log.warning("webhook %s: %d deliveries pending; dropping one", receiver.name,
                        len(self._pending))  # fmt: skip
            return
        task = self._loop.create_task(self._deliver(receiver, body))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _deliver(self, receiver: Receiver, body: bytes) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        delay = receiver.backoff_s
        timeout = aiohttp.ClientTimeout(total=receiver.timeout_s)
        headers = {"Content-Type": "application/json"}
        for attempt in range(1, receiver.max_attempts + 1):
            self.attempts += 1
            try:
                async with self._session.post(
                    receiver.url, data=body, headers=headers, timeout=timeout
                ) as response:
                    if response.status < 300:
                        self.delivered += 1
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = scrub(str(exc) or type(exc).__name__)
            if attempt < receiver.max_attempts:
                log.info("webhook %s failed (%s); retry %d in %.1f s", receiver.name, problem,
                         attempt, delay)  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, receiver.backoff_max_s)
        self.given_up += 1
        log.warning("webhook %s: gave up after %d attempts", receiver.name, receiver.max_attempts)

    def pending(self) -> int:
        return len(self._pending)

    def stop(self, timeout: float = 5.0) -> None:
        async def close() -> None:
            if self._pending:
                await asyncio.wait(set(self._pending), timeout=timeout)
            for task in self._pending:
                task.cancel()
            if self._session is not None:
                await self._session.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout + 5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
