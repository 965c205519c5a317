"""Learned per-camera analysis baselines in the database, so a restart does not relearn."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ingest.stores.tables import CameraBaseline
from registry.db import SessionFactory, transaction
from registry.upsert import upsert

_CHUNK = 1000


def load_baselines(factory: SessionFactory, camera_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = list(camera_ids)
    found: dict[str, dict[str, Any]] = {}
    with factory() as session:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            stmt = select(CameraBaseline.camera_id, CameraBaseline.state).where(
                CameraBaseline.camera_id.in_(chunk)
            )
            found.update({camera_id: state for camera_id, state in session.execute(stmt)})
    return found


def save_baselines(
    factory: SessionFactory, states: Mapping[str, dict[str, Any]], now: datetime
) -> int:
    rows = [{"camera_id": cid, "state": state, "updated_at": now} for cid, state in states.items()]
    with transaction(factory) as session:
        for start in range(0, len(rows), _CHUNK):
            upsert(
                session,
                CameraBaseline,
                rows[start : start + _CHUNK],
                ["camera_id"],
                ["state", "updated_at"],
            )
    return len(rows)
