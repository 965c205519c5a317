"""Reliability, scenario 5: a network partition. Machine A runs `gridwatch ingest` in its
own network namespace, joined to the host by a veth pair; machine B runs in the root
namespace. A's end of the pair goes down for PARTITION_S (three lease periods): A loses
the broker, the database and its cameras. B takes A's cameras over within two lease
periods. When the partition heals, A comes back, publishes nothing stale and the leases
settle to a fair share (each machine within one shard of half).

"Stale", precisely: a message from A that reaches the broker after the partition began,
about a camera B probed during the partition, whose `ts` is before the heal. Such a
message is A's view of a camera from a time when A could not see it and B was
responsible for it; delivered after B's own observations it would contradict them
(A's "offline" for cameras only A's network had lost).

Real processes, a private PostgreSQL and a private Mosquitto, both listening on
127.0.0.1 and on the host's veth address, and the simulator on that address."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bus.embedded_broker import free_port
from tests.bus.mqtt_helpers import Mosquitto, Recorder
from tests.processes import (
    CAMERAS,
    Running,
    healthy_cameras,
    league_env,
    lease_holders,
    serve_league,
)
from tests.reliability.flow import probers
from tests.reliability.netns import HOST_ADDRESS, Namespace, partitionable_namespace
from tests.reliability.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.slow
LEASE_TTL_S = 6.0
PARTITION_S = 3 * LEASE_TTL_S
SHARDS = 256
RETURN_S = 30.0


def test_a_partitioned_machine_is_replaced_and_returns_without_stale_news(tmp_path: Path) -> None:
    with (
        partitionable_namespace() as namespace,
        private_postgres(("127.0.0.1", HOST_ADDRESS)) as postgres,
    ):
        broker = Mosquitto(free_port(), tmp_path, more_hosts=(HOST_ADDRESS,)).start()
        try:
            _partition(tmp_path, namespace, postgres, broker)
        finally:
            broker.stop()


def _partition(
    tmp_path: Path, namespace: Namespace, postgres: PrivatePostgres, broker: Mosquitto
) -> None:
    database = postgres.url()
    env = league_env(tmp_path, broker.url) | {
        "GRIDWATCH_DATABASE_URL": database,
        "GRIDWATCH_LEASE_TTL_S": str(LEASE_TTL_S),
        "GRIDWATCH_WORKER_PROCESSES": "1",
    }
    inside = env | {
        "GRIDWATCH_WORKER_ID": "machine-a",
        "GRIDWATCH_MQTT_URL": f"mqtt://{HOST_ADDRESS}:{broker.port}",
        "GRIDWATCH_DATABASE_URL": postgres.url(HOST_ADDRESS),
    }
    outside = env | {"GRIDWATCH_WORKER_ID": "machine-b"}
    prefix = env["GRIDWATCH_TOPIC_PREFIX"]
    with (
        serve_league(tmp_path, env, host=HOST_ADDRESS) as simulator_url,
        Recorder(broker.url, f"{prefix}/v1/#") as recorder,
    ):
        a = Running(["ingest"], inside, wrapper=namespace.command())
        b = Running(["ingest"], outside)
        try:
            a.wait_for(
                lambda: (
                    set(lease_holders(database)) == {"machine-a", "machine-b"}
                    and healthy_cameras(database) == CAMERAS
                ),
                "both machines holding leases and every camera online",
            )
            time.sleep(LEASE_TTL_S)  # let the fair share settle for a lease period
            before = probers(simulator_url)
            held_by_a = {c for c, seen in before.items() if seen[-1][1] == "machine-a"}
            assert held_by_a, before
            heard_before_cut = len(recorder.received())
            cut = time.monotonic()
            namespace.cut()

            def moved() -> bool:
                now = probers(simulator_url)
                return all(now[c][-1][1] == "machine-b" for c in held_by_a)

            b.wait_for(moved, "every camera of the cut-off machine probed by the other", 60)
            took_s = time.monotonic() - cut
            time.sleep(max(0.0, PARTITION_S - (time.monotonic() - cut)))
            healed_at = datetime.now(UTC)
            namespace.heal()
            healed = time.monotonic()

            def fair() -> bool:
                counts = lease_holders(database)
                return set(counts) == {"machine-a", "machine-b"} and all(
                    abs(n - SHARDS / 2) <= 1 for n in counts.values()
                )

            a.wait_for(fair, "leases settled to a fair share after the heal", 60)
            settled_s = time.monotonic() - healed
            # Wait for anything from A after the cut, up to RETURN_S (nothing at all is no
            # stale message): a stale one would come with A's return.
            deadline = time.monotonic() + RETURN_S
            while time.monotonic() < deadline and not any(
                b'"machine-a"' in m.payload for m in recorder.received()[heard_before_cut:]
            ):
                time.sleep(0.5)
            time.sleep(3)  # what A still had to say arrives now
            shares = lease_holders(database)
            assert a.process.poll() is None
            assert b.process.poll() is None
        finally:
            a.stop()
            b.stop()
        after_cut = recorder.received()[heard_before_cut:]
    late = [
        json.loads(m.payload)
        for m in after_cut
        if "/v1/events/" in m.topic or "/v1/status/" in m.topic
    ]
    from_a = [m for m in late if m.get("worker_id") == "machine-a"]
    stale = [
        m
        for m in from_a
        if m.get("camera_id") in held_by_a and datetime.fromisoformat(m["ts"]) < healed_at
    ]
    print(
        f"\npartition {PARTITION_S:g} s (lease {LEASE_TTL_S:g} s): {len(held_by_a)} cameras of A "
        f"probed by B after {took_s:.1f} s; healed, leases {shares} after {settled_s:.1f} s; "
        f"A sent {len(from_a)} messages after the cut, {len(stale)} stale"
    )
    for message in stale[:10]:
        print(f"  stale: {message.get('type', 'status')} {message['camera_id']} ts {message['ts']}")
    assert took_s <= 2 * LEASE_TTL_S + 2, took_s
    # A's leases lapsed during the partition: its publisher was fenced (connection reset,
    # unsent bytes discarded) and dropped what it had spooled when it came back.
    assert not stale, f"{len(stale)} stale messages from the returning machine"
