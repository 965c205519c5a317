"""The stage interface: a frozen context in, a step in, a step (or None: stop) out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from alerts.arming import Arming
from alerts.domain import Alert, Signal
from alerts.policy import Policy
from alerts.priorities import PriorityRules
from alerts.silences import Silence
from alerts.topology import Topology


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a stage may read. `now` is the caller's clock, handed in, never read."""

    now: datetime
    policy: Policy
    topology: Topology
    rules: PriorityRules = field(default_factory=PriorityRules)
    arming: Arming = field(default_factory=Arming)
    silences: tuple[Silence, ...] = ()
    groups: Mapping[str, Alert] = field(default_factory=dict)
    """Active group alerts by group key (`district:X`, `uplink:Y`)."""

    @property
    def zone(self) -> ZoneInfo:
        return self.rules.zone


@dataclass(frozen=True, slots=True)
class Step:
    signal: Signal
    before: Alert | None
    """The fingerprint's latest occurrence, firing or resolved, if any."""
    after: Alert | None = None
    """The proposed new version; None until a stage proposes one."""


class Stage(Protocol):
    def __call__(self, ctx: Context, step: Step) -> Step | None: ...


def run_chain(chain: Sequence[Stage], ctx: Context, step: Step) -> Step | None:
    current: Step | None = step
    for stage in chain:
        if current is None:
            return None
        current = stage(ctx, current)
    return current
