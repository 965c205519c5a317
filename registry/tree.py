"""The district tree as materialized paths.

Each district stores `path`, the codes from the root down to itself, each followed
by `/` (`150400/150402/150402001/`). A subtree is then one range scan on an indexed
column, `path >= P AND path < P'`, where P' is P with its final `/` replaced by `0`
(the next byte). We chose this over a closure table: the tree is shallow (4–6
levels), moves are rare and cheap to rewrite, and a range scan needs no extra table
nor a join to count or list everything below a banner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from registry.models import Camera, District
from registry.rows import DistrictRow


@dataclass(frozen=True, slots=True)
class PathConflict:
    code: str
    reason: str


def build_paths(
    districts: Mapping[str, DistrictRow],
) -> tuple[dict[str, str], dict[str, int], list[PathConflict]]:
    """Path and level of every district whose ancestry is complete and acyclic."""
    paths: dict[str, str] = {}
    levels: dict[str, int] = {}
    conflicts: dict[str, PathConflict] = {}

    for start in districts:
        chain: list[str] = []
        seen: set[str] = set()
        code: str | None = start
        failure: str | None = None
        while code is not None and code not in paths:
            if code in seen:
                failure = f"district {start} is in a parent cycle ({' → '.join([*chain, code])})"
                break
            if code in conflicts:
                failure = f"district {start} has an invalid ancestor {code}"
                break
            row = districts.get(code)
            if row is None:
                failure = f"parent {code} of {chain[-1]} is neither in the file nor in the registry"
                break
            seen.add(code)
            chain.append(code)
            code = row.parent_code
        if failure is not None:
            for member in chain:
                conflicts.setdefault(member, PathConflict(member, failure))
            continue
        for member in reversed(chain):
            row = districts[member]
            parent_path = paths[row.parent_code] if row.parent_code else ""
            parent_level = levels[row.parent_code] if row.parent_code else 0
            level = row.level if row.level is not None else parent_level + 1
            if level <= parent_level:
                conflicts[member] = PathConflict(
                    member,
                    f"level {level} of {member} is not below its parent's level {parent_level}",
                )
                break
            paths[member] = f"{parent_path}{member}/"
            levels[member] = level
    return paths, levels, list(conflicts.values())


def path_range(path: str) -> tuple[str, str]:
    """Lower (inclusive) and upper (exclusive) bounds of every path below and at `path`."""
    return path, path[:-1] + "0"


def spans_tree(low: str, high: str, first: str, last: str) -> bool:
    """Whether the path range [low, high) holds every district, the lowest path being
    `first` and the highest `last`."""
    return low <= first and last < high


def district_path(session: Session, code: str) -> str | None:
    return session.scalar(select(District.path).where(District.code == code))


def subtree_codes(path: str) -> Select[tuple[str]]:
    low, high = path_range(path)
    return select(District.code).where(and_(District.path >= low, District.path < high))


def cameras_under(path: str) -> Select[tuple[str]]:
    """Ids of every camera in the district at `path` and below it."""
    low, high = path_range(path)
    return (
        select(Camera.id)
        .join(District, Camera.district_code == District.code)
        .where(District.path >= low, District.path < high)
    )


def count_cameras_under(session: Session, path: str) -> int:
    low, high = path_range(path)
    stmt = (
        select(func.count())
        .select_from(Camera)
        .join(District, Camera.district_code == District.code)
        .where(District.path >= low, District.path < high)
    )
    return int(session.scalar(stmt) or 0)
