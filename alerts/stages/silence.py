"""Stage 5, silence: mark an open alert with the active silence that matches it.

Marked, never dropped: a silenced alert is stored and listed as silenced.
"""

from __future__ import annotations

from alerts.silences import silencing
from alerts.stages.base import Context, Step


def silence(ctx: Context, step: Step) -> Step | None:
    alert = step.after
    if alert is None or not alert.active:
        return step
    silenced_by = silencing(alert, ctx.silences, ctx.topology, ctx.now, ctx.zone)
    if silenced_by == alert.silenced_by:
        return step
    return Step(step.signal, step.before, alert.evolve(silenced_by=silenced_by))
