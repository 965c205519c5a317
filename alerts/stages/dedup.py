"""Stage 2, de-duplicate: a firing signal on an open alert is a repeat, counted on it.

A clear for a fingerprint with nothing open stops the chain: there is nothing to do.
(Redelivered messages never get here: the store's unique `event_id` drops them.)
"""

from __future__ import annotations

from alerts.stages.base import Context, Step


def dedup(ctx: Context, step: Step) -> Step | None:
    signal, before = step.signal, step.before
    if before is None or not before.active:
        return step if signal.firing else None
    if signal.firing:
        repeat = before.evolve(
            count=before.count + (1 if signal.event_id else 0),  # reconciles are no repeat
            last_seen_at=max(before.last_seen_at, signal.ts),
        )
        return Step(step.signal, step.before, repeat)
    return Step(step.signal, step.before, before)
