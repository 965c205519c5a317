"""When each camera is due: every camera once per interval, spread evenly over it.

A camera's phase inside the interval comes from a hash of its id, so 43,000 cameras
start spread over the whole minute instead of firing at once, and the spread is the
same after a restart. Each cycle adds a little random jitter so cameras that share
an uplink do not stay in lockstep. Time is whatever the caller passes in
(monotonic seconds in production, a virtual clock in tests).
"""

from __future__ import annotations

import heapq
import random
import zlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Due:
    due_at: float
    camera_id: str


def phase(camera_id: str, interval_s: float) -> float:
    """Where in [0, interval) a camera's probe falls, stable across processes."""
    return (zlib.crc32(camera_id.encode()) / 2**32) * interval_s


class ProbeSchedule:
    def __init__(self, jitter: float = 0.02, rng: random.Random | None = None) -> None:
        if not 0 <= jitter < 0.5:
            raise ValueError("jitter is a fraction of the interval, from 0 to 0.5")
        self.jitter = jitter
        self.rng = rng or random.Random()
        self._heap: list[tuple[float, int, str]] = []
        self._generation: dict[str, int] = {}
        self._interval: dict[str, float] = {}
        self._counter = 0

    def __len__(self) -> int:
        return len(self._generation)

    def __contains__(self, camera_id: str) -> bool:
        return camera_id in self._generation

    def interval_of(self, camera_id: str) -> float:
        return self._interval[camera_id]

    def _push(self, camera_id: str, due_at: float) -> None:
        self._counter += 1
        self._generation[camera_id] = self._counter
        heapq.heappush(self._heap, (due_at, self._counter, camera_id))

    def add(self, camera_id: str, interval_s: float, now: float) -> None:
        """Schedule a camera's first probe at its phase within the coming interval."""
        if interval_s <= 0:
            raise ValueError(f"interval for {camera_id} must be positive")
        self._interval[camera_id] = interval_s
        self._push(camera_id, now + phase(camera_id, interval_s))

    def remove(self, camera_id: str) -> None:
        self._generation.pop(camera_id, None)
        self._interval.pop(camera_id, None)

    def sync(self, wanted: dict[str, float], now: float) -> tuple[int, int]:
        """Make the schedule hold exactly `wanted` (camera → interval); (added, removed)."""
        gone = [camera for camera in self._generation if camera not in wanted]
        for camera in gone:
            self.remove(camera)
        added = 0
        for camera, interval in wanted.items():
            if camera not in self._generation:
                self.add(camera, interval, now)
                added += 1
            else:
                self._interval[camera] = interval
        if len(self._heap) > 2 * len(self._generation) + 1024:
            self._compact()
        return added, len(gone)

    def _compact(self) -> None:
        self._heap = [e for e in self._heap if self._generation.get(e[2]) == e[1]]
        heapq.heapify(self._heap)

    def next_due(self) -> float | None:
        while self._heap:
            due_at, generation, camera = self._heap[0]
            if self._generation.get(camera) == generation:
                return due_at
            heapq.heappop(self._heap)
        return None

    def pop_due(self, now: float, limit: int) -> list[Due]:
        """Up to `limit` cameras due at `now`, earliest first; they leave the schedule until
        `reschedule` puts them back."""
        found: list[Due] = []
        while self._heap and len(found) < limit:
            due_at, generation, camera = self._heap[0]
            if self._generation.get(camera) != generation:
                heapq.heappop(self._heap)
                continue
            if due_at > now:
                break
            heapq.heappop(self._heap)
            self._generation[camera] = -generation  # in flight: not in the heap
            found.append(Due(due_at, camera))
        return found

    def reschedule(self, camera_id: str, due_at: float, delay_s: float, now: float) -> None:
        """Put a probed camera back, `delay_s` after the time it was due (not after it ran,
        so a slow probe does not drift the camera's phase). A camera that fell more than a
        whole delay behind is due again now, not in a burst of catch-up probes."""
        if camera_id not in self._generation:
            return  # removed while in flight (its lease moved to another worker)
        spread = delay_s * self.jitter
        next_at = due_at + delay_s + (self.rng.uniform(-spread, spread) if spread else 0.0)
        self._push(camera_id, max(next_at, now))
