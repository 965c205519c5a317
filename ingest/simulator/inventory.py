"""A realistic simulated league: district tree, departments and cameras as CSV files.

One league (GB/T 2260 city level) → banners/counties → townships (sumu) → villages
(gacha). Cameras are spread unevenly, as real deployments are: the banner seat and
market towns are dense, grassland villages have a handful. Camera ids are GB/T 28181
device codes; URLs point at the simulator (`gridwatch simulate --inventory`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LEAGUE_CODE = "150400"
LEAGUE_NAME = "赤峰市（模拟）"
BANNER_NAMES = (
    "红山区", "元宝山区", "松山区", "阿鲁科尔沁旗", "巴林左旗", "巴林右旗", "林西县",
    "克什克腾旗", "翁牛特旗", "喀喇沁旗", "宁城县", "敖汉旗",
)  # fmt: skip
TOWNSHIP_SUFFIXES = ("镇", "苏木", "乡", "街道")
VILLAGE_SUFFIXES = ("嘎查", "村", "社区")
SYLLABLES = "乌兰巴彦哈达白音宝日查干塔拉锡林敖包呼和新华东升前进红旗太平兴隆富裕长胜"
PLACES = (
    "路口",
    "广场",
    "学校门口",
    "卫生院",
    "村委会",
    "牧场",
    "加油站",
    "桥头",
    "集市",
    "停车场",
)
USES = (
    ("public_security", 0.55),
    ("traffic", 0.20),
    ("key_site", 0.10),
    ("community", 0.08),
    ("school", 0.03),
    ("hospital", 0.02),
    ("forest_fire", 0.02),
)
DEPARTMENTS = (
    ("gaj", "公安局", "public_security;traffic"),
    ("cgj", "城市管理综合执法局", "urban_management;environment"),
    ("yjj", "应急管理局", "emergency;forest_fire"),
    ("jtj", "交通运输局", "traffic;road"),
)
CHANNELS_PER_NVR = 64


@dataclass(frozen=True, slots=True)
class InventorySummary:
    districts: int
    departments: int
    cameras: int
    files: tuple[Path, ...]


def _name(rng: np.random.Generator, suffixes: tuple[str, ...]) -> str:
    length = int(rng.integers(2, 4))
    body = "".join(SYLLABLES[int(i)] for i in rng.integers(0, len(SYLLABLES), size=length))
    return body + suffixes[int(rng.integers(0, len(suffixes)))]


@dataclass(frozen=True, slots=True)
class _Village:
    code: str
    name: str
    banner: str
    township_index: int
    lat: float
    lon: float


def _tree(
    rng: np.random.Generator, banners: int
) -> tuple[list[list[str]], list[_Village], list[float]]:
    districts: list[list[str]] = [[LEAGUE_CODE, LEAGUE_NAME, "1", ""]]
    villages: list[_Village] = []
    weights: list[float] = []
    for b in range(banners):
        banner = f"{LEAGUE_CODE[:4]}{b + 2:02d}"
        name = BANNER_NAMES[b] if b < len(BANNER_NAMES) else f"第{b + 1}旗"
        districts.append([banner, name, "2", LEAGUE_CODE])
        b_lat, b_lon = 41.5 + rng.random() * 3.5, 116.5 + rng.random() * 4.5
        for t in range(int(rng.integers(8, 21))):
            township = f"{banner}{t + 1:03d}"
            districts.append([township, _name(rng, TOWNSHIP_SUFFIXES), "3", banner])
            # The banner seat (first township) and a few market towns are dense.
            town_weight = 12.0 if t == 0 else float(rng.lognormal(0.0, 0.9))
            for v in range(int(rng.integers(5, 26))):
                code = f"{township}{v + 1:03d}"
                village_name = _name(rng, VILLAGE_SUFFIXES)
                districts.append([code, village_name, "4", township])
                lat = b_lat + rng.normal(0, 0.25)
                lon = b_lon + rng.normal(0, 0.3)
                villages.append(_Village(code, village_name, banner, t + 1, lat, lon))
                weights.append(town_weight * float(rng.lognormal(0.0, 1.0)))
    return districts, villages, weights


def _camera_rows(
    rng: np.random.Generator,
    villages: list[_Village],
    counts: np.ndarray,
    base_url: str,
    auth_share: float,
) -> Iterator[list[str]]:
    serials: dict[str, int] = {}
    use_names = [name for name, _ in USES]
    use_p = np.array([share for _, share in USES])
    use_p = use_p / use_p.sum()
    for village, count in zip(villages, counts, strict=True):
        unit = f"{village.banner}{village.township_index % 100:02d}"
        for n in range(int(count)):
            serial = serials.get(unit, 0) + 1
            serials[unit] = serial
            device_type = "132" if rng.random() < 0.8 else "131"
            camera_id = f"{unit}00{device_type}1{serial:06d}"
            nvr = f"{unit}00{'118'}1{(serial - 1) // CHANNELS_PER_NVR + 1:06d}"
            use = use_names[int(rng.choice(len(use_names), p=use_p))]
            user, password = ("", "")
            if rng.random() < auth_share:
                user, password = "admin", f"Sim{int(rng.integers(10**6, 10**7))}"
            yield [
                camera_id,
                f"{village.name}{PLACES[int(rng.integers(0, len(PLACES)))]}{n + 1}号",
                village.code,
                f"{base_url}/cam/{camera_id}/mjpeg",
                "",
                f"{base_url}/cam/{camera_id}/snapshot.jpg",
                user,
                password,
                f"{village.lat + rng.normal(0, 0.01):.6f}",
                f"{village.lon + rng.normal(0, 0.01):.6f}",
                use,
                f"{village.banner}-gaj"
                if use in {"public_security", "traffic", "key_site"}
                else "",
                f"运维{int(rng.integers(1, 9))}组",
                nvr,
                "key_site" if use == "key_site" else "",
                "true",
            ]


CAMERA_HEADER = [
    "id", "name", "district_code", "main_url", "sub_url", "snapshot_url", "username", "password",
    "lat", "lon", "use", "owner_department", "maintainer", "uplink", "tags", "enabled",
]  # fmt: skip


def write_inventory(
    out: Path,
    cameras: int,
    *,
    banners: int = 12,
    seed: int = 20261123,
    base_url: str = "http://127.0.0.1:8780",
    auth_share: float = 0.1,
) -> InventorySummary:
    """Write districts.csv, departments.csv and cameras.csv for a league of `cameras` cameras."""
    if cameras < 0:
        raise ValueError("cameras must be zero or more")
    rng = np.random.default_rng(seed)
    districts, villages, weights = _tree(rng, banners)
    p = np.asarray(weights) / float(np.sum(weights))
    counts = rng.multinomial(cameras, p)
    out.mkdir(parents=True, exist_ok=True)
    district_file = out / "districts.csv"
    with district_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(districts)
    department_file = out / "departments.csv"
    banner_rows = [row for row in districts if row[2] == "2"]
    with department_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "name", "district_code", "categories"])
        for code, name, _level, _parent in banner_rows:
            for suffix, dept, categories in DEPARTMENTS:
                writer.writerow([f"{code}-{suffix}", f"{name}{dept}", code, categories])
    camera_file = out / "cameras.csv"
    with camera_file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CAMERA_HEADER)
        writer.writerows(_camera_rows(rng, villages, counts, base_url.rstrip("/"), auth_share))
    return InventorySummary(
        districts=len(districts),
        departments=len(banner_rows) * len(DEPARTMENTS),
        cameras=cameras,
        files=(district_file, department_file, camera_file),
    )
