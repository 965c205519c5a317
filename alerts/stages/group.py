"""Stage 4, group and inhibit by topology.

A camera's new offline alert is held `pending` for `hold` (it is stored, not yet shown),
so that when a township or an uplink loses many cameras together — their offline
events spread over K probe intervals — its group alert forms first and the singles
arrive inhibited, never raised and withdrawn. Groups are evaluated on ticks
(`evaluate_groups`): one grouped alert per district (at the grouping level) or uplink
with at least `group_min_count` cameras and `group_min_share` of its cameras down,
enough of them within `group_window`; it is held itself for `group_hold`, so that a
township group forming meanwhile inhibits the uplink groups in it before they show.
The district group wins over the uplink group and inhibits it. A group resolves when
the share drops below `group_clear_share`; members still down then show on their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.domain import Alert, AlertStatus, Kind, Scope, fingerprint, new_alert_id
from alerts.policy import Policy
from alerts.stages.base import Context, Step
from alerts.topology import Topology, district_key, uplink_key


def groupable(alert: Alert) -> bool:
    return alert.scope is Scope.CAMERA and alert.kind is Kind.OFFLINE


def inhibitor(groups: Mapping[str, Alert], alert: Alert) -> str | None:
    """The id of the active group alert that covers `alert`, district before uplink."""
    if alert.scope is Scope.CAMERA and alert.group_district is not None:
        group = groups.get(district_key(alert.group_district))
        if group is not None:
            return group.id
    if alert.uplink is not None and alert.scope is not Scope.DISTRICT:
        group = groups.get(uplink_key(alert.uplink))
        if group is not None and group.id != alert.id:
            return group.id
    if alert.scope is Scope.UPLINK and alert.group_district is not None:
        group = groups.get(district_key(alert.group_district))
        if group is not None:
            return group.id
    return None


def group_keys(alert: Alert) -> tuple[str, ...]:
    keys = []
    if alert.group_district is not None:
        keys.append(district_key(alert.group_district))
    if alert.uplink is not None:
        keys.append(uplink_key(alert.uplink))
    return tuple(keys)


def place(ctx: Context, step: Step) -> Step | None:
    alert = step.after
    if alert is None or not groupable(alert) or not alert.active:
        return step
    if step.before is None or step.before.id != alert.id:  # a new occurrence
        info = ctx.topology.camera(alert.camera_id)
        alert = alert.evolve(
            group_district=info.group_district if info else None,
            uplink=info.uplink if info else None,
        )
        if ctx.policy.hold_s > 0:
            alert = alert.evolve(status=AlertStatus.PENDING, visible_at=ctx.now + ctx.policy.hold)
    inhibited_by = inhibitor(ctx.groups, alert)
    if inhibited_by != alert.inhibited_by:
        alert = alert.evolve(inhibited_by=inhibited_by)
    return step if alert is step.after else Step(step.signal, step.before, alert)


def _summary(topology: Topology, key: str, down: int, total: int) -> str:
    scope, _, subject = key.partition(":")
    if scope == "district":
        return f"{topology.name(subject)}: {down} of {total} cameras offline"
    return f"uplink {subject}: {down} of {total} cameras offline"


@dataclass(frozen=True, slots=True)
class Down:
    """Open offline camera alerts under one group key."""

    count: int
    recent: int
    """How many of them started within the group window."""
    district: str | None = None
    """For an uplink: the township most of them are in."""


def tally(down: Mapping[str, Sequence[Alert]], now: datetime, policy: Policy) -> dict[str, Down]:
    recent_from = now - policy.group_window
    tallies = {}
    for key, members in down.items():
        districts = Counter(m.group_district or m.district_code for m in members)
        tallies[key] = Down(
            len(members),
            sum(1 for m in members if m.started_at >= recent_from),
            districts.most_common(1)[0][0] if districts else None,
        )
    return tallies


def _new_group(
    key: str, down: Down, total: int, topology: Topology, policy: Policy, now: datetime
) -> Alert:
    scope_name, _, subject = key.partition(":")
    scope = Scope.DISTRICT if scope_name == "district" else Scope.UPLINK
    district = subject if scope is Scope.DISTRICT else (down.district or topology.root)
    fp = fingerprint(Kind.GROUP_OFFLINE, scope, subject)
    return Alert(
        id=new_alert_id(fp, now),
        fingerprint=fp,
        kind=Kind.GROUP_OFFLINE,
        scope=scope,
        subject=subject,
        district_code=district,
        status=AlertStatus.PENDING if policy.group_hold_s > 0 else AlertStatus.FIRING,
        visible_at=now + policy.group_hold if policy.group_hold_s > 0 else None,
        started_at=now,
        last_seen_at=now,
        last_ts=now,
        group_district=district,
        uplink=subject if scope is Scope.UPLINK else None,
        members=down.count,
        total=total,
        summary=_summary(topology, key, down.count, total),
    )


def evaluate_groups(
    down: Mapping[str, Down],
    groups: Mapping[str, Alert],
    topology: Topology,
    policy: Policy,
    now: datetime,
) -> list[Alert]:
    """New, recounted and resolved group alerts, from the open offline alerts per key."""
    changed: list[Alert] = []
    none = Down(0, 0)
    for key in sorted(set(down) | set(groups), key=lambda k: not k.startswith("district:")):
        tally_ = down.get(key, none)
        total = max(topology.totals.get(key, 0), tally_.count)
        share = tally_.count / total if total else 0.0
        group = groups.get(key)
        if group is None:
            if (
                tally_.count >= policy.group_min_count
                and tally_.recent >= policy.group_min_count
                and share >= policy.group_min_share
            ):
                changed.append(_new_group(key, tally_, total, topology, policy, now))
        elif share < policy.group_clear_share or not tally_.count:
            changed.append(group.evolve(status=AlertStatus.RESOLVED, resolved_at=now, last_ts=now))
        elif tally_.count != group.members or total != group.total:
            changed.append(
                group.evolve(
                    members=tally_.count,
                    total=total,
                    last_seen_at=now,
                    summary=_summary(topology, key, tally_.count, total),
                )
            )
    return changed
