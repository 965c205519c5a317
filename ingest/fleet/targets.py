"""The cameras this worker may probe: read from the registry, filtered by its leases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ingest.fleet.leases import shard_of
from ingest.sources.credentials import Credentials
from registry.db import SessionFactory
from registry.models import Camera, CameraCredential
from registry.secrets import stored_password

# Cameras watched continuously for motion: key sites, or any camera tagged for it.
MOTION_TAG = "motion_watch"
MOTION_USE = "key_site"


@dataclass(frozen=True, slots=True)
class CameraTarget:
    camera_id: str
    district_code: str
    snapshot_url: str | None
    main_url: str | None
    uplink: str | None
    credentials: Credentials | None = field(default=None, repr=False)
    sub_url: str | None = None
    motion_watch: bool = False

    @property
    def stream_url(self) -> str | None:
        """What motion watch keeps open: the low-resolution sub-stream when there is one."""
        return self.sub_url or self.main_url

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
            Camera.sub_url,
            Camera.use,
            Camera.tags,
            CameraCredential,
        )
        .outerjoin(CameraCredential, CameraCredential.camera_id == Camera.id)
        .where(Camera.enabled.is_(True))
    )
    targets: dict[str, CameraTarget] = {}
    with factory() as session:
        for row in session.execute(stmt):
            camera_id, district, snapshot, main, uplink, sub, use, tags, stored = row
            if not (snapshot or main):
                continue
            password = stored_password(session, stored) if stored is not None else None
            user = stored.username if stored is not None else None
            credentials = Credentials.of(user, password) if user and password is not None else None
            watch = MOTION_TAG in (tags or ()) or use == MOTION_USE
            targets[camera_id] = CameraTarget(
                camera_id, district, snapshot, main, uplink, credentials, sub, watch
            )
    return targets


def held_targets(
    targets: dict[str, CameraTarget], shards: Iterable[int], shard_count: int
) -> dict[str, CameraTarget]:
    wanted = frozenset(shards)
    return {cid: t for cid, t in targets.items() if shard_of(cid, shard_count) in wanted}
