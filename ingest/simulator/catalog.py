"""The cameras the simulator serves, read from an inventory's cameras.csv."""

from __future__ import annotations

import base64
import csv
import zlib
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_COLUMNS = ("id", "district_code", "username", "password")


class InventoryError(ValueError):
    """The inventory folder or its cameras.csv cannot be served; the message says why."""


@dataclass(frozen=True, slots=True)
class SimCamera:
    camera_id: str
    district_code: str
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)

    @property
    def needs_auth(self) -> bool:
        return bool(self.username or self.password)

    def basic_credentials(self) -> bytes:
        """What follows `Basic ` in the `Authorization` header of a client that knows them."""
        return base64.b64encode(f"{self.username}:{self.password}".encode())


def scene_slot(camera_id: str, scenes: int, frames: int) -> tuple[int, int]:
    """Deterministic (scene, phase) of a camera: stable across runs and processes."""
    digest = zlib.crc32(camera_id.encode())
    return digest % scenes, (digest // scenes) % frames


def load_cameras(inventory_dir: Path) -> dict[str, SimCamera]:
    """Every camera of `inventory_dir/cameras.csv`, by id. Raises InventoryError on bad input."""
    path = inventory_dir / "cameras.csv"
    if not path.is_file():
        raise InventoryError(
            f"no cameras.csv in {inventory_dir} (write one with `gridwatch simulate inventory`)"
        )
    cameras: dict[str, SimCamera] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InventoryError(f"{path}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            camera_id = (row["id"] or "").strip()
            if not camera_id or "/" in camera_id:
                raise InventoryError(f"{path}:{line}: camera id is empty or contains '/'")
            if camera_id in cameras:
                raise InventoryError(f"{path}:{line}: duplicate camera id {camera_id}")
            cameras[camera_id] = SimCamera(
                camera_id=camera_id,
                district_code=(row["district_code"] or "").strip(),
                username=row["username"] or "",
                password=row["password"] or "",
            )
    return cameras
