"""A registry for tests of alerts and cases together: the districts of `helpers`, a
command center per district, maintenance in 红山区, and the cameras of `small_topology`
(NVR-0's first camera at a key site) written to the registry."""

from __future__ import annotations

from typing import Any

from alerts.cases.calendar import BusinessCalendar
from alerts.cases.workflow import Workflow, load_workflow
from config.settings import Settings
from registry.db import SessionFactory, transaction
from registry.models import Camera, Department, District
from tests.alerts.helpers import DISTRICTS, small_topology

DEPARTMENTS = [
    ("cc-150400", "市指挥中心", "150400", ["command_center"]),
    ("cc-150402", "红山区指挥中心", "150402", ["command_center"]),
    ("cc-150402001", "桥北镇综治中心", "150402001", ["command_center"]),
    ("cc-150402002", "文钟镇综治中心", "150402002", ["command_center"]),
    ("maint-150402", "红山区运维", "150402", ["maintenance"]),
]
KEY_SITE = "C00000"


def settings(**extra: Any) -> Settings:
    return Settings(_env_file=None, **extra)  # type: ignore[call-arg]


def workflow(**extra: Any) -> Workflow:
    """The shipped rules and SLA; chinese-calendar's days (no deployment file)."""
    return load_workflow(settings(**extra), calendar=BusinessCalendar())


def build_registry(db: SessionFactory, per_uplink: int = 10, uplinks: int = 4) -> SessionFactory:
    with transaction(db) as session:
        for code, name, path in DISTRICTS:
            parts = path.strip("/").split("/")
            session.add(District(code=code, name=name, level=len(parts), path=path,
                                 parent_code=parts[-2] if len(parts) > 1 else None))  # fmt: skip
            session.flush()
        for dept_id, name, district, categories in DEPARTMENTS:
            session.add(
                Department(id=dept_id, name=name, district_code=district, categories=categories)
            )
        for info in small_topology(per_uplink, uplinks).cameras.values():
            session.add(
                Camera(
                    id=info.camera_id,
                    name=f"camera {info.camera_id}",
                    district_code=info.district_code,
                    uplink=info.uplink,
                    use="key_site" if info.camera_id == KEY_SITE else info.use,
                    tags=sorted(info.tags),
                )
            )
    return db
