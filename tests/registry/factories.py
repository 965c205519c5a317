"""Small import files for registry tests, written the way users write them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DISTRICTS = [
    {"code": "150400", "name": "赤峰市", "level": "1", "parent_code": ""},
    {"code": "150402", "name": "红山区", "level": "2", "parent_code": "150400"},
    {"code": "150404", "name": "松山区", "level": "2", "parent_code": "150400"},
    {"code": "150402001", "name": "桥北镇", "level": "3", "parent_code": "150402"},
    {"code": "150402002", "name": "文钟镇", "level": "3", "parent_code": "150402"},
    {"code": "150404001", "name": "穆家营子镇", "level": "3", "parent_code": "150404"},
    {"code": "150402001001", "name": "东升嘎查", "level": "4", "parent_code": "150402001"},
]


def camera(camera_id: str, district: str = "150402001001", **extra: Any) -> dict[str, Any]:
    row = {
        "id": camera_id,
        "name": f"camera {camera_id}",
        "district_code": district,
        "snapshot_url": f"http://10.0.0.1/cam/{camera_id}/snapshot.jpg",
        "main_url": f"rtsp://10.0.0.1:554/{camera_id}/main",
        "use": "public_security",
        "uplink": "NVR-1",
        "tags": "gate;night",
    }
    row.update(extra)
    return row


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path
