"""The pipeline's memory and driver: stages applied to signals and ticks, no I/O.

The consumer feeds it messages and ticks with its clock's `now`, then drains the
changed alerts to store and notify. Hot state lives here (per fingerprint the latest
occurrence, the open group alerts, offline alerts per group key, held and flapping
alerts); `load` rebuilds it from the store after a restart.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alerts.arming import Arming
from alerts.domain import Alert, AlertStatus, Kind, Scope, Signal
from alerts.policy import Policy
from alerts.priorities import PriorityRules
from alerts.silences import Silence, silencing
from alerts.stages.base import Context, Stage, Step, run_chain
from alerts.stages.dedup import dedup
from alerts.stages.group import (
    Down,
    evaluate_groups,
    group_keys,
    groupable,
    inhibitor,
    place,
    tally,
)
from alerts.stages.prioritize import prioritize, reprioritized
from alerts.stages.silence import silence
from alerts.stages.state import alert_state, settle
from alerts.stages.validate import check_clock, presence_signal, signals_for
from alerts.topology import Topology, district_key, uplink_key
from bus.events import Event
from bus.messages import PresenceMessage

CHAIN: tuple[Stage, ...] = (dedup, alert_state, place, silence, prioritize)


@dataclass(frozen=True, slots=True)
class Change:
    before: Alert | None
    """The alert as it was before this drain's first change (None: new)."""
    after: Alert


def group_key_of(alert: Alert) -> str:
    return (
        district_key(alert.subject) if alert.scope is Scope.DISTRICT else uplink_key(alert.subject)
    )


@dataclass
class Engine:
    policy: Policy
    topology: Topology
    rules: PriorityRules = field(default_factory=PriorityRules)
    arming: Arming = field(default_factory=Arming)
    chain: Sequence[Stage] = CHAIN
    silences: tuple[Silence, ...] = ()
    alerts: dict[str, Alert] = field(default_factory=dict)
    groups: dict[str, Alert] = field(default_factory=dict)
    down: dict[str, dict[str, Alert]] = field(default_factory=dict)
    cleared: dict[str, datetime] = field(default_factory=dict)
    _held: list[tuple[datetime, str]] = field(default_factory=list)
    _flapping: set[str] = field(default_factory=set)
    _silenced: set[str] = field(default_factory=set)
    _changed: dict[str, Change] = field(default_factory=dict)

    def context(self, now: datetime) -> Context:
        return Context(now, self.policy, self.topology, self.rules, self.arming,
                       self.silences, self.groups)  # fmt: skip

    # -- input -----------------------------------------------------------------------

    def signals(self, event: Event, now: datetime) -> tuple[Signal, ...]:
        """What `event` says; raises `Rejected` for data the service cannot use and for
        a time too far ahead of `now`."""
        check_clock(event, now, self.policy.max_clock_skew)
        return signals_for(event, self.topology, self.arming)

    def apply_event(self, event: Event, now: datetime) -> tuple[Signal, ...]:
        signals = self.signals(event, now)
        for signal in signals:
            self.apply(signal, now)
        return signals

    def apply_presence(self, message: PresenceMessage, now: datetime) -> None:
        self.apply(presence_signal(message, self.topology.root, now), now)

    def apply(self, signal: Signal, now: datetime) -> Alert | None:
        before = self.alerts.get(signal.fingerprint)
        if before is None or not before.active:
            # A clear with nothing open is remembered, so that an older firing signal
            # delivered after it cannot open an alert for a condition already gone.
            cleared = self.cleared.get(signal.fingerprint)
            if not signal.firing:
                if cleared is None or signal.ts > cleared:
                    self.cleared[signal.fingerprint] = signal.ts
                return None
            if cleared is not None and signal.ts <= cleared:
                return None
        step = run_chain(self.chain, self.context(now), Step(signal, before))
        if step is None or step.after is None or step.after == before:
            return None
        self._put(step.after)
        return step.after

    # -- ticks -----------------------------------------------------------------------

    def tick(self, now: datetime, down: Mapping[str, Down] | None = None) -> None:
        """Everything time moves: held alerts show, flapping settles, groups form and clear,
        silences start and end, priorities that depend on duration."""
        ctx = self.context(now)
        while self._held and self._held[0][0] <= now:
            _, fp = heapq.heappop(self._held)
            alert = self.alerts.get(fp)
            if (
                alert is not None
                and alert.status is AlertStatus.PENDING
                and alert.visible_at is not None
                and alert.visible_at <= now
            ):
                self._put(reprioritized(ctx, alert.evolve(status=AlertStatus.FIRING)))
        for fp in list(self._flapping):
            settled = settle(self.alerts[fp], now, self.policy)
            if settled is not None:
                self._put(settled)
        self._evaluate_groups(now, down)
        if self.silences or self._silenced:
            self._refresh_silences(now)
        for alert in list(self.alerts.values()):
            if alert.visible:
                updated = reprioritized(ctx, alert)
                if updated is not alert:
                    self._put(updated)

    def _evaluate_groups(self, now: datetime, down: Mapping[str, Down] | None) -> None:
        """`down`: counts over every consumer (shared subscription); default: our own."""
        if down is None:
            mine = {key: list(members.values()) for key, members in self.down.items() if members}
            down = tally(mine, now, self.policy)
        changed = evaluate_groups(down, self.groups, self.topology, self.policy, now)
        moved: set[str] = set()
        for group in changed:
            key = group_key_of(group)
            existing = self.groups.get(key)
            self._put(group)
            if existing is None or not group.active:
                moved.add(key)
        if moved:
            self._reinhibit(moved, now)

    def _reinhibit(self, keys: set[str], now: datetime) -> None:
        """After groups appeared or cleared under `keys`: who inhibits their members now."""
        ctx = self.context(now)
        for key in keys:
            for fp in list(self.down.get(key, {})):
                member = self.alerts[fp]
                self._put(member.evolve(inhibited_by=inhibitor(self.groups, member)))
            if key.startswith("district:"):
                code = key.partition(":")[2]
                for other in list(self.groups.values()):
                    if other.scope is Scope.UPLINK and other.group_district == code:
                        self._put(other.evolve(inhibited_by=inhibitor(self.groups, other)))
        for group in list(self.groups.values()):
            if group.inhibited_by is None and (updated := inhibitor(self.groups, group)):
                self._put(group.evolve(inhibited_by=updated))
            self._put(reprioritized(ctx, self.groups.get(group_key_of(group), group)))

    def adopt_groups(self, groups: Iterable[Alert], now: datetime) -> None:
        """Group alerts another consumer opened (shared subscription): take them as they are
        stored and inhibit our members under them."""
        keys = set()
        for group in groups:
            known = self.alerts.get(group.fingerprint)
            if known is None or known.id != group.id:
                self._put(group, record=False)
                keys.add(group_key_of(group))
        if keys:
            self._reinhibit(keys, now)

    def _refresh_silences(self, now: datetime) -> None:
        zone = self.rules.zone
        for alert in list(self.alerts.values()):
            if alert.active:
                silenced_by = silencing(alert, self.silences, self.topology, now, zone)
                if silenced_by != alert.silenced_by:
                    self._put(alert.evolve(silenced_by=silenced_by))

    # -- state -----------------------------------------------------------------------

    def load(self, alerts: Iterable[Alert]) -> None:
        """Rebuild memory from stored alerts (oldest first), without reporting changes."""
        for alert in alerts:
            self._put(alert, record=False)

    def drain(self) -> list[Change]:
        changes = list(self._changed.values())
        self._changed = {}
        return changes

    def _put(self, alert: Alert, *, record: bool = True) -> None:
        previous = self.alerts.get(alert.fingerprint)
        if previous == alert:
            return
        self.alerts[alert.fingerprint] = alert
        if alert.kind is Kind.GROUP_OFFLINE:
            key = group_key_of(alert)
            if alert.active:
                self.groups[key] = alert
            elif key in self.groups and self.groups[key].id == alert.id:
                del self.groups[key]
        if groupable(alert):
            for key in group_keys(alert):
                if alert.active:
                    self.down.setdefault(key, {})[alert.fingerprint] = alert
                else:
                    self.down.get(key, {}).pop(alert.fingerprint, None)
        if (
            alert.status is AlertStatus.PENDING
            and alert.visible_at is not None
            and (previous is None or previous.visible_at != alert.visible_at)
        ):
            heapq.heappush(self._held, (alert.visible_at, alert.fingerprint))
        (self._flapping.add if alert.flapping and alert.active else self._flapping.discard)(
            alert.fingerprint
        )
        (self._silenced.add if alert.silenced_by else self._silenced.discard)(alert.fingerprint)
        if record:
            first = self._changed.get(alert.id)
            before = (
                first.before
                if first is not None
                else (previous if previous is not None and previous.id == alert.id else None)
            )
            self._changed[alert.id] = Change(before, alert)

    # -- views -----------------------------------------------------------------------

    def open_alerts(self) -> list[Alert]:
        return [alert for alert in self.alerts.values() if alert.active]

    def visible_singles(self) -> int:
        return sum(1 for a in self.alerts.values() if a.single and a.visible)
