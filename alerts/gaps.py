"""Per-worker `seq` bookkeeping: a jump leaves a hole; a hole not filled within the grace
time (late deliveries under shared subscriptions fill most) is a gap to reconcile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_HOLES_PER_WORKER = 256


@dataclass(frozen=True, slots=True)
class Hole:
    first: int
    last: int
    seen_at: datetime

    @property
    def size(self) -> int:
        return self.last - self.first + 1


@dataclass
class SeqTracker:
    last: dict[str, int] = field(default_factory=dict)
    holes: dict[str, list[Hole]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    """Highest seq per worker since the last `take_changed`, for the store."""

    def observe(self, worker_id: str, seq: int, now: datetime) -> None:
        last = self.last.get(worker_id)
        if last is None or seq > last:
            if last is not None and seq > last + 1:
                holes = self.holes.setdefault(worker_id, [])
                holes.append(Hole(last + 1, seq - 1, now))
                if len(holes) > MAX_HOLES_PER_WORKER:  # merge the oldest two
                    a, b = holes.pop(0), holes.pop(0)
                    holes.insert(0, Hole(a.first, b.last, a.seen_at))
            self.last[worker_id] = seq
            self.changed[worker_id] = seq
            return
        self._fill(worker_id, seq)

    def _fill(self, worker_id: str, seq: int) -> None:
        holes = self.holes.get(worker_id)
        if not holes:
            return
        for i, hole in enumerate(holes):
            if hole.first <= seq <= hole.last:
                parts = [Hole(hole.first, seq - 1, hole.seen_at),
                         Hole(seq + 1, hole.last, hole.seen_at)]  # fmt: skip
                holes[i : i + 1] = [part for part in parts if part.size > 0]
                return

    def due(self, now: datetime, grace: timedelta) -> list[tuple[str, Hole]]:
        """Holes older than `grace`, taken out of the tracker."""
        found: list[tuple[str, Hole]] = []
        for worker_id, holes in self.holes.items():
            keep = []
            for hole in holes:
                (found.append((worker_id, hole)) if now - hole.seen_at >= grace
                 else keep.append(hole))  # fmt: skip
            holes[:] = keep
        return found

    def take_changed(self) -> dict[str, int]:
        changed, self.changed = self.changed, {}
        return changed
