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

    async def reference(self, camera_id: str, judged: Judged) -> str | None:
        """The reference of the pictures kept for the faults this sample raised; a good
        sample only becomes the camera's last good picture (no I/O, no copy)."""
        verdict = judged.verdict
        if not verdict.raised:
            if verdict.good:
                self._last_good[camera_id] = judged.picture
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
            self._last_good.pop(camera_id, None)

    def held_bytes(self) -> int:
        """Memory the last good pictures keep alive."""
        return sum(p.held_bytes for p in self._last_good.values())

    async def sweep(self) -> None:
        if self.store is not None:
            await asyncio.to_thread(self.store.sweep)

    @property
    def errors(self) -> int:
        return 0 if self.store is None else self.store.errors
