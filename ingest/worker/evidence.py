"""Which pictures become a fault's evidence, and when they are written.

Writing happens only when a sample raises a fault (rare next to probes): the judged
picture and the camera's last good one, held in memory by reference until then, go to
the `EvidenceStore` on a thread, so a slow disk never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from ingest.probing.judged import Judged, SeenPicture
from ingest.stores.evidence import EvidenceStore

log = logging.getLogger(__name__)


class EvidenceKeeper:
    def __init__(self, store: EvidenceStore | None) -> None:
        self.store = store  # None: no evidence kept, events go without
        self._last_good: dict[str, SeenPicture] = {}
        self._held = 0
        self._budget = 0 if store is None else store.bounds.hold_max_bytes
        self.over_budget = 0
        """Good pictures not held because the budget was spent (their cameras had none)."""

    def _hold(self, camera_id: str, picture: SeenPicture) -> None:
        """Hold `picture` as the camera's last good one, within the memory budget: a camera
        that holds one always swaps it for the newer; a new one is refused when full."""
        old = self._last_good.get(camera_id)
        held = self._held - (0 if old is None else old.held_bytes) + picture.held_bytes
        if old is None and held > self._budget:
            if self.over_budget == 0:
                log.warning(
                    "evidence: last good pictures fill their %d MB budget; cameras beyond it "
                    "get no 'before' picture (GRIDWATCH_EVIDENCE_HOLD_MAX_MB)",
                    self._budget // 1024**2,
                )
            self.over_budget += 1
            return
        self._last_good[camera_id] = picture
        self._held = held

    async def reference(self, camera_id: str, judged: Judged) -> str | None:
        """The reference of the pictures kept for the faults this sample raised; a good
        sample only becomes the camera's last good picture (no I/O, no copy)."""
        verdict = judged.verdict
        if not verdict.raised:
            if verdict.good and self.store is not None:
                self._hold(camera_id, judged.picture)
            return None
        if self.store is None:
            return None
        before = self._last_good.get(camera_id)
        return await asyncio.to_thread(self._keep, camera_id, judged, before)

    def _keep(self, camera_id: str, judged: Judged, before: SeenPicture | None) -> str | None:
        assert self.store is not None
        try:
            fault_jpeg = judged.picture.encoded()
            before_jpeg = None if before is None else before.encoded()
        except Exception:
            log.exception("camera %s: evidence picture not encoded; event goes without", camera_id)
            return None
        # Several faults raised by one sample share its pictures, named by the first code.
        code = str(judged.verdict.raised[0].code)
        return self.store.keep(camera_id, judged.captured_at, code, fault_jpeg, before_jpeg)

    def forget(self, cameras: Iterable[str]) -> None:
        for camera_id in cameras:
            old = self._last_good.pop(camera_id, None)
            if old is not None:
                self._held -= old.held_bytes

    def held_bytes(self) -> int:
        """Memory the last good pictures keep alive."""
        return self._held

    async def sweep(self) -> None:
        if self.store is not None:
            await asyncio.to_thread(self.store.sweep)

    @property
    def errors(self) -> int:
        return 0 if self.store is None else self.store.errors
