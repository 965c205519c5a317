"""Is any ingest worker alive? The `no_live_worker` signal from the workers' presences.

One worker's last will is a `worker_offline` alert, and its shards move to the others
within two lease periods. When every worker the service has heard of is offline, no
shard has a live worker and no camera in the league is being probed: that is one
critical alert of its own, raised once the last worker has been gone for `hold`
(a worker restarting under systemd is back within seconds) and cleared by the first
worker that comes back online.

Decided from the stored presences only, so every consumer of a shared subscription,
and a restarted one, reaches the same answer with the same alert id: the signal's
time is the moment the last worker went offline, or the first came back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from alerts.domain import Kind, Scope, Signal, fingerprint

SUBJECT = "ingest"
FINGERPRINT = fingerprint(Kind.NO_LIVE_WORKER, Scope.WORKER, SUBJECT)


class Presence(NamedTuple):
    online: bool
    since: datetime


def no_live_worker_signal(
    presences: Mapping[str, Presence], district_code: str, now: datetime, hold: timedelta
) -> Signal | None:
    """Firing when every known worker has been offline for `hold`; clearing when one is
    online; None while there is no worker to judge or the last one left less than `hold` ago."""
    if not presences:
        return None
    online = [p.since for p in presences.values() if p.online]
    if online:
        return _signal(False, min(online), district_code, len(presences), len(online))
    last_gone = max(p.since for p in presences.values())
    if now - last_gone < hold:
        return None
    return _signal(True, last_gone, district_code, len(presences), 0)


def _signal(firing: bool, ts: datetime, district_code: str, known: int, online: int) -> Signal:
    return Signal(
        fingerprint=FINGERPRINT,
        kind=Kind.NO_LIVE_WORKER,
        scope=Scope.WORKER,
        subject=SUBJECT,
        firing=firing,
        ts=ts,
        district_code=district_code,
        detail={"workers_known": known, "workers_online": online},
    )
