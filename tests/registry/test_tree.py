from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry.db import SessionFactory
from registry.importer import import_cameras, import_districts
from registry.models import District
from registry.records import read_records
from registry.tree import cameras_under, count_cameras_under, path_range
from tests.registry.factories import DISTRICTS, camera, write_csv


def test_subtree_queries_match_a_walk_of_the_tree(db: SessionFactory, tmp_path: Path) -> None:
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    placements = {
        "c1": "150402001001",
        "c2": "150402001",
        "c3": "150402002",
        "c4": "150404001",
        "c5": "150404",
        "c6": "150400",
    }
    rows = [camera(cid, district=code) for cid, code in placements.items()]
    import_cameras(db, read_records(write_csv(tmp_path / "c.csv", rows), "cameras"))
    parents = {d["code"]: d["parent_code"] or None for d in DISTRICTS}

    def under(code: str, target: str) -> bool:
        node: str | None = code
        while node is not None:
            if node == target:
                return True
            node = parents[node]
        return False

    with db() as session:
        for code, path in session.execute(select(District.code, District.path)):
            expected = {cid for cid, at in placements.items() if under(at, code)}
            assert set(session.scalars(cameras_under(path))) == expected, code
            assert count_cameras_under(session, path) == len(expected)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(
    parent=st.lists(st.sampled_from("0123456789"), min_size=1, max_size=4).map("".join),
    other=st.lists(st.sampled_from("0123456789/"), min_size=1, max_size=12).map("".join),
)
def test_path_range_holds_exactly_the_paths_below(parent: str, other: str) -> None:
    path = f"15{parent}/"
    low, high = path_range(path)
    candidate = f"15{other}"
    inside = low <= candidate < high
    assert inside == candidate.startswith(path)
