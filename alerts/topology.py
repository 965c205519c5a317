"""Where each camera sits: district, grouping district (township), uplink, use and tags.

Read from the registry once at start (and on refresh) into plain frozen data, so the
pipeline stages decide without a database round trip per event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Camera, District


@dataclass(frozen=True, slots=True)
class CameraInfo:
    camera_id: str
    district_code: str
    path: str
    group_district: str
    uplink: str | None = None
    use: str = "public_security"
    tags: frozenset[str] = frozenset()


def district_key(code: str) -> str:
    return f"district:{code}"


def uplink_key(uplink: str) -> str:
    return f"uplink:{uplink}"


@dataclass(frozen=True, slots=True)
class Topology:
    cameras: Mapping[str, CameraInfo] = field(default_factory=dict)
    district_names: Mapping[str, str] = field(default_factory=dict)
    district_paths: Mapping[str, str] = field(default_factory=dict)
    totals: Mapping[str, int] = field(default_factory=dict)
    """Enabled cameras per group key (`district:X`, `uplink:Y`)."""
    root: str = "root"
    """The top district: where alerts about the system itself (workers) are filed."""

    def camera(self, camera_id: str | None) -> CameraInfo | None:
        return self.cameras.get(camera_id) if camera_id else None

    def name(self, district_code: str) -> str:
        return self.district_names.get(district_code, district_code)

    def in_subtree(self, district_code: str, ancestor_code: str) -> bool:
        path = self.district_paths.get(district_code)
        top = self.district_paths.get(ancestor_code)
        if path is None or top is None:
            return district_code == ancestor_code
        return path.startswith(top)


def group_district_of(path: str, level: int) -> str:
    """The ancestor at `level` (3: township) of a district path, or the district itself
    when it sits above that level."""
    codes = [code for code in path.split("/") if code]
    return codes[min(level, len(codes)) - 1]


def build_topology(
    cameras: list[tuple[str, str, str | None, str, list[str] | None]],
    districts: list[tuple[str, str, str]],
    group_level: int,
) -> Topology:
    """From (id, district_code, uplink, use, tags) and (code, name, path) rows."""
    paths = {code: path for code, _name, path in districts}
    infos: dict[str, CameraInfo] = {}
    totals: Counter[str] = Counter()
    for camera_id, district_code, uplink, use, tags in cameras:
        path = paths.get(district_code, f"{district_code}/")
        info = CameraInfo(
            camera_id,
            district_code,
            path,
            group_district_of(path, group_level),
            uplink or None,
            use,
            frozenset(tags or ()),
        )
        infos[camera_id] = info
        totals[district_key(info.group_district)] += 1
        if info.uplink:
            totals[uplink_key(info.uplink)] += 1
    return Topology(
        cameras=infos,
        district_names={code: name for code, name, _path in districts},
        district_paths=paths,
        totals=dict(totals),
        root=min(paths.items(), key=lambda item: (len(item[1]), item[0]))[0] if paths else "root",
    )


def load_topology(session: Session, group_level: int) -> Topology:
    """Enabled cameras and the district tree from the registry."""
    cameras = session.execute(
        select(Camera.id, Camera.district_code, Camera.uplink, Camera.use, Camera.tags).where(
            Camera.enabled.is_(True)
        )
    ).all()
    districts = session.execute(select(District.code, District.name, District.path)).all()
    return build_topology(
        [tuple(row) for row in cameras],  # type: ignore[misc]
        [tuple(row) for row in districts],  # type: ignore[misc]
        group_level,
    )
