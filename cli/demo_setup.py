"""What `gridwatch demo` prepares before anything runs: ports, the league, its fault
script, the demo's calendar and the first admin.

Pure choices (the fault script, the calendar document) are functions of their inputs;
the rest writes files under the demo's folder or rows through the registry's functions.
"""

from __future__ import annotations

import csv
import errno
import secrets
import socket
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bus.embedded_broker import free_port
from ingest.simulator.faults import FaultKind, FaultRule, OfflineMode
from ingest.simulator.inventory import LEAGUE_CODE, write_inventory
from registry.auth_tables import Role
from registry.db import SessionFactory, transaction
from registry.users import check_password_strength, create_user

ADMIN = "admin"
# Departments the simulated inventory lacks and the demo's case rules route to.
DEMO_DEPARTMENTS = (("yw", "运维中心", "maintenance"), ("zh", "指挥中心", "command_center"))
# Working hours that cover the whole day: SLA minutes are minutes of wall time.
ALL_DAY = "00:00-23:59"


def port_or_free(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` when nothing listens there, else any free port (Mosquitto owns 1883)."""
    with socket.socket() as probe:
        try:
            probe.bind((host, preferred))
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            return free_port(host)
    return preferred


@dataclass(frozen=True, slots=True)
class DemoCamera:
    id: str
    district_code: str
    use: str


@dataclass(frozen=True, slots=True)
class League:
    folder: Path
    cameras: list[DemoCamera]
    district_names: dict[str, str]

    def township_for_power_cut(self) -> str:
        """The second-largest township: big enough to be a storm, not the banner seat."""
        sizes = Counter(camera.district_code[:9] for camera in self.cameras)
        return sizes.most_common(2)[-1][0]


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_league(folder: Path, cameras: int, simulator_url: str) -> League:
    """The simulated league's CSV files, plus a maintenance centre and a command center
    in every banner and the league (where the demo's cases are routed and escalated)."""
    write_inventory(folder, cameras, base_url=simulator_url)
    districts = _read_rows(folder / "districts.csv")
    with (folder / "departments.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in districts:
            if row["level"] in ("1", "2"):
                for suffix, name, category in DEMO_DEPARTMENTS:
                    writer.writerow([f"{row['code']}-{suffix}", row["name"] + name,
                                     row["code"], category])  # fmt: skip
    return League(
        folder,
        [
            DemoCamera(row["id"], row["district_code"], row["use"])
            for row in _read_rows(folder / "cameras.csv")
        ],
        {row["code"]: row["name"] for row in districts},
    )


def fault_script(league: League, start_s: float, interval_s: float) -> list[FaultRule]:
    """The afternoon the demo plays, from `start_s` (after the baselines are learned):
    a township loses power for a while, single cameras go wrong (frozen, covered,
    blurred, moved, black for a spell, dead on their own) and one is given wrong
    credentials. Cameras outside the power cut's township, so each shows on its own."""
    township = league.township_for_power_cut()
    others = [c.id for c in league.cameras if not c.district_code.startswith(township)]
    gap = interval_s
    return [
        FaultRule(FaultKind.OFFLINE, district=township, start_s=start_s,
                  end_s=start_s + 600, mode=OfflineMode.RESET),
        FaultRule(FaultKind.FROZEN, camera=others[1], start_s=start_s),
        FaultRule(FaultKind.COVERED, camera=others[2], start_s=start_s, fraction=0.7),
        # Two blurred cameras: the blur check reads some scenes poorly (see docs/demo.md).
        FaultRule(FaultKind.BLURRED, camera=others[3], start_s=start_s, sigma=5.0),
        FaultRule(FaultKind.BLURRED, camera=others[8], start_s=start_s, sigma=5.0),
        FaultRule(FaultKind.MOVED, camera=others[4], start_s=start_s),
        FaultRule(FaultKind.AUTH, camera=others[5], start_s=start_s),
        FaultRule(FaultKind.OFFLINE, camera=others[6], start_s=start_s, mode=OfflineMode.RESET),
        FaultRule(FaultKind.BLACK, camera=others[7], start_s=start_s + gap,
                  end_s=start_s + 30 * gap),
    ]  # fmt: skip


def write_faults(path: Path, rules: list[FaultRule]) -> None:
    """The schedule file `gridwatch simulate serve --faults` reads."""
    path.write_text(
        yaml.safe_dump({"faults": [rule.to_json() for rule in rules]}, allow_unicode=True),
        encoding="utf-8",
    )


def every_day_a_workday(today: date) -> dict[str, Any]:
    """A calendar document for this year and the next in which every day is worked: the
    demo's SLA minutes run on weekends and holidays too."""
    years: dict[int, dict[str, list[date]]] = {}
    for year in (today.year, today.year + 1):
        day, weekend = date(year, 1, 1), []
        while day.year == year:
            if day.weekday() >= 5:
                weekend.append(day)
            day += timedelta(days=1)
        years[year] = {"holidays": [], "workdays": weekend}
    return {"years": years}


def write_calendar(path: Path, today: date) -> None:
    path.write_text(yaml.safe_dump(every_day_a_workday(today)), encoding="utf-8")


def admin_password(given: str | None) -> tuple[str, bool]:
    """The password given (GRIDWATCH_DEMO_PASSWORD), checked, or a generated one; and
    whether it was generated (then the demo prints it)."""
    if given:
        check_password_strength(given)
        return given, False
    return secrets.token_urlsafe(12), True


def create_admin(factory: SessionFactory, password: str) -> None:
    with transaction(factory) as session:
        create_user(session, ADMIN, password, Role.ADMIN, LEAGUE_CODE,
                    display_name="Demo admin", now=datetime.now(UTC))  # fmt: skip
