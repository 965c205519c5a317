"""A synthetic league's case history for `gridwatch bench cases` and the KPI tests.

Rows are plain tuples in `cases` / `case_flags` column order, generated from a seed, so
PostgreSQL loads them with COPY and SQLite with Core `insert()` executemany.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.cases.models import Case, CaseFlag

CASE_COLUMNS = [column.key for column in Case.__table__.columns]
FLAG_COLUMNS = [column.key for column in CaseFlag.__table__.columns]
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class League:
    districts: list[tuple[str, str, int, str | None, str]]  # code, name, level, parent, path
    departments: list[tuple[str, str, str, list[str]]]  # id, name, district, categories
    villages: list[tuple[str, str, str]]  # code, path, banner code
    banners: list[tuple[str, str]]  # code, path


def league(banners: int = 12, townships: int = 10, villages: int = 8) -> League:
    districts: list[tuple[str, str, int, str | None, str]] = [
        ("150400", "league", 1, None, "150400/")
    ]
    departments = [("cc-150400", "league command center", "150400", ["command_center"])]
    village_list: list[tuple[str, str, str]] = []
    banner_list: list[tuple[str, str]] = []
    for b in range(1, banners + 1):
        banner = f"1504{b:02d}"
        banner_path = f"150400/{banner}/"
        districts.append((banner, f"banner {b}", 2, "150400", banner_path))
        banner_list.append((banner, banner_path))
        departments += [
            (f"cc-{banner}", f"banner {b} command center", banner, ["command_center"]),
            (f"maint-{banner}", f"banner {b} maintenance", banner, ["maintenance"]),
        ]
        for t in range(1, townships + 1):
            township = f"{banner}{t:03d}"
            township_path = f"{banner_path}{township}/"
            districts.append((township, f"township {t}", 3, banner, township_path))
            departments.append(
                (f"cc-{township}", f"township {t} center", township, ["command_center"])
            )
            for v in range(1, villages + 1):
                village = f"{township}{v:03d}"
                path = f"{township_path}{village}/"
                districts.append((village, f"village {v}", 4, township, path))
                village_list.append((village, path, banner))
    return League(districts, departments, village_list, banner_list)


def case_rows(
    count: int, place: League, now: datetime, seed: int = 16
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(case row, its flag rows) for `count` cases opened over the year before `now`."""
    rng = random.Random(seed)
    flag_id = 0
    for case_id in range(1, count + 1):
        village, path, banner = place.villages[rng.randrange(len(place.villages))]
        fault = rng.random() < 0.7
        department = f"maint-{banner}" if fault else f"cc-{village[:9]}"
        # Cases arrive in time order, as they would be inserted.
        opened = now - timedelta(seconds=365 * 86400 * (1 - case_id / (count + 1)))
        age_days = (now - opened) / DAY
        closed = rng.random() < (0.93 if age_days > 3 else 0.4)
        signed = opened + timedelta(seconds=rng.uniform(60, 4 * 3600))
        values: dict[str, Any] = dict.fromkeys(CASE_COLUMNS)
        values.update(
            id=case_id,
            title=f"case {case_id}",
            category="camera_fault" if fault else "security",
            kind="camera.offline" if fault else "motion.start",
            priority=rng.choice("1234"),
            fingerprint=f"cam-{case_id}:k",
            is_group=False,
            camera_fault=fault,
            camera_id=f"cam-{case_id}",
            camera_use="public_security",
            cameras_affected=1,
            district_code=village,
            district_path=path,
            district_level=4,
            department_id=department,
            opened_at=opened,
            opened_by="system",
            accepted_at=opened,
            signed_at=min(signed, now),
            sign_for_work_s=rng.uniform(60, 4 * 3600),
            stage_seq=3,
            supervision="none",
            deadline_estimated=False,
            late_stages=0,
            reopen_count=0,
            yellow_count=0,
            red_count=0,
        )
        values["priority"] = "P" + values["priority"]
        late = rng.random() < 0.12
        if closed:
            resolved = min(signed + timedelta(seconds=rng.uniform(3600, 5 * 86400)), now)
            values.update(
                resolved_at=resolved,
                closed_at=min(resolved + timedelta(hours=1), now),
                resolve_work_s=rng.uniform(3600, 5 * 27000),
                late_stages=int(late),
                status=rng.choice(["closed", "followed_up", "archived"]),
            )
            if values["status"] != "closed":
                values["follow_up_result"] = "satisfied" if rng.random() < 0.93 else "dissatisfied"
                values["followed_up_at"] = values["closed_at"]
        else:
            deadline = opened + timedelta(seconds=rng.uniform(3600, 12 * 86400))
            started = opened + (deadline - opened) / 4
            values.update(
                status=rng.choice(["assigned", "in_progress", "resolved"]),
                stage="handle",
                stage_started_at=started,
                clock_from=started,
                stage_budget_s=5 * 27000.0,
                stage_deadline=deadline,
                yellow_at=deadline - (deadline - started) / 5,
                red_at=deadline,
                next_flag_at=deadline,
                supervision="yellow",
            )
        flags = []
        levels = ["yellow", "red"] if late else (["yellow"] if rng.random() < 0.1 else [])
        for level in levels:
            flag_id += 1
            raised = opened + timedelta(seconds=rng.uniform(3600, 3 * 86400))
            flags.append(
                (
                    flag_id,
                    case_id,
                    "stage:handle:3",
                    level,
                    min(raised, now),
                    raised,
                    department,
                    f"cc-{banner}" if level == "red" else None,
                    path,
                )
            )
            values[f"{level}_count"] = 1
        yield tuple(values[c] for c in CASE_COLUMNS), flags
