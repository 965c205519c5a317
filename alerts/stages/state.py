"""Stage 3, alert state: firing or resolved, moved only forward in event time.

A signal older than the last one applied to the fingerprint (`last_ts`) never moves
the state back: a late `camera.offline` after a newer `camera.online` opens nothing.
Flapping: `flap_changes` fire/clear changes within `flap_window` mark the alert
flapping; a clear then holds it open (`clear_since`) instead of resolving it, and
`settle` (on ticks) resolves it once it has been quiet for a whole window.
"""

from __future__ import annotations

from datetime import datetime

from alerts.domain import Alert, AlertStatus, new_alert_id
from alerts.policy import Policy
from alerts.stages.base import Context, Step


def _recent(changes: tuple[datetime, ...], at: datetime, policy: Policy) -> tuple[datetime, ...]:
    cutoff = at - policy.flap_window
    return tuple(change for change in changes if change >= cutoff)


def _open(ctx: Context, step: Step) -> Step | None:
    signal, before = step.signal, step.before
    if before is not None and signal.ts <= before.last_ts:
        return None  # older than what we know: the fingerprint has moved on
    changes = (
        (*_recent(before.changes, signal.ts, ctx.policy), signal.ts) if before else (signal.ts,)
    )
    linked = (
        before is not None
        and before.resolved_at is not None
        and signal.ts - before.resolved_at <= ctx.policy.recurrence_window
    )
    alert = Alert(
        id=new_alert_id(signal.fingerprint, signal.ts),
        fingerprint=signal.fingerprint,
        kind=signal.kind,
        scope=signal.scope,
        subject=signal.subject,
        district_code=signal.district_code,
        status=AlertStatus.FIRING,
        started_at=signal.ts,
        last_seen_at=signal.ts,
        last_ts=signal.ts,
        camera_id=signal.camera_id,
        code=signal.code,
        changes=changes,
        flapping=len(changes) >= ctx.policy.flap_changes,
        previous_id=before.id if linked and before is not None else None,
    )
    return Step(step.signal, step.before, alert)


def alert_state(ctx: Context, step: Step) -> Step | None:
    signal, current = step.signal, step.after
    if current is None or not current.active:
        return _open(ctx, step)
    if signal.ts < current.last_ts:
        # Late: a repeat may still be counted (dedup did), but the state stays.
        return step if signal.firing else None
    changes = _recent(current.changes, signal.ts, ctx.policy)
    if signal.firing:
        if current.clear_since is None:
            return Step(step.signal, step.before, current.evolve(last_ts=signal.ts))
        changes = (*changes, signal.ts)
        return Step(
            step.signal,
            step.before,
            current.evolve(clear_since=None, changes=changes, last_ts=signal.ts),
        )
    if current.clear_since is not None:
        return None  # already held open on a clear
    changes = (*changes, signal.ts)
    flapping = current.flapping or len(changes) >= ctx.policy.flap_changes
    if flapping and current.status is AlertStatus.FIRING:
        held = current.evolve(
            flapping=True, clear_since=signal.ts, changes=changes, last_ts=signal.ts
        )
        return Step(step.signal, step.before, held)
    resolved = current.evolve(
        status=AlertStatus.RESOLVED,
        resolved_at=signal.ts,
        last_ts=signal.ts,
        changes=changes,
        clear_since=None,
    )
    return Step(step.signal, step.before, resolved)


def settle(alert: Alert, now: datetime, policy: Policy) -> Alert | None:
    """A flapping alert quiet for a whole flap window: resolve it if its condition cleared,
    else it simply stops flapping. None when nothing changes."""
    if not alert.flapping or not alert.active:
        return None
    if alert.changes and now - alert.changes[-1] < policy.flap_window:
        return None
    if alert.clear_since is not None:
        return alert.evolve(
            status=AlertStatus.RESOLVED,
            resolved_at=alert.clear_since,
            clear_since=None,
            flapping=False,
        )
    return alert.evolve(flapping=False)
