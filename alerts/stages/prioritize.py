"""Stage 6, prioritize: priority (0-100) and severity from the rules file, and a summary."""

from __future__ import annotations

from alerts.domain import Alert, Kind, Scope
from alerts.priorities import priority_of, severity_of
from alerts.stages.base import Context, Step

_WHAT = {
    Kind.OFFLINE: "offline",
    Kind.AUTH: "refuses our credentials (check the configured account)",
    Kind.INTRUSION: "motion while armed",
    Kind.WORKER_OFFLINE: "ingest worker offline: its cameras are not probed",
}


def describe(alert: Alert) -> str:
    if alert.summary and alert.kind is Kind.GROUP_OFFLINE:
        return alert.summary
    if alert.kind is Kind.NO_LIVE_WORKER:
        return "no live ingest worker: no camera is being probed"
    what = f"picture fault {alert.code}" if alert.kind is Kind.FAULT else _WHAT[alert.kind]
    who = "worker" if alert.scope is Scope.WORKER else "camera"
    return f"{who} {alert.subject}: {what}"


def prioritize(ctx: Context, step: Step) -> Step | None:
    alert, before = step.after, step.before
    if alert is None or not alert.active:
        return step
    if before is not None and before.id == alert.id and before.status is alert.status:
        return step  # a repeat: duration-based rules are re-applied on ticks
    return Step(step.signal, step.before, reprioritized(ctx, alert))


def reprioritized(ctx: Context, alert: Alert) -> Alert:
    info = ctx.topology.camera(alert.camera_id)
    priority = priority_of(alert, info.use if info else None, ctx.rules, ctx.now)
    summary = describe(alert)
    if priority == alert.priority and summary == alert.summary:
        return alert
    return alert.evolve(priority=priority, severity=severity_of(priority), summary=summary)
