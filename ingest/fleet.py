"""The cameras this worker may probe: read from the registry, filtered by its leases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ingest.leases import shard_of
from ingest.sources.credentials import Credentials
from registry.db import SessionFactory
from registry.models import Camera, CameraCredential


@dataclass(frozen=True, slots=True)
class CameraTarget:
    camera_id: str
    district_code: str
    snapshot_url: str | None
    main_url: str | None
    uplink: str | None
    credentials: Credentials | None = field(default=None, repr=False)

    @property
    def probe_url(self) -> str | None:
        """The cheapest way to a health sample: the JPEG snapshot, else the main stream."""
        return self.snapshot_url or self.main_url


def load_targets(factory: SessionFactory) -> dict[str, CameraTarget]:
    """Every enabled camera that has something to probe, with its credentials."""
    stmt = (
        select(
            Camera.id,
            Camera.district_code,
            Camera.snapshot_url,
            Camera.main_url,
            Camera.uplink,
            CameraCredential.username,
            CameraCredential.password,
        )
        .outerjoin(CameraCredential, CameraCredential.camera_id == Camera.id)
        .where(Camera.enabled.is_(True))
    )
    targets: dict[str, CameraTarget] = {}
    with factory() as session:
        for camera_id, district, snapshot, main, uplink, user, password in session.execute(stmt):
            if not (snapshot or main):
                continue
            credentials = Credentials.of(user, password) if user and password is not None else None
            targets[camera_id] = CameraTarget(
                camera_id, district, snapshot, main, uplink, credentials
            )
    return targets


def held_targets(
    targets: dict[str, CameraTarget], shards: Iterable[int], shard_count: int
) -> dict[str, CameraTarget]:
    wanted = frozenset(shards)
    return {cid: t for cid, t in targets.items() if shard_of(cid, shard_count) in wanted}
