from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bus.vocabulary import CameraStatus
from ingest.probing.state import ProbeState
from ingest.stores.health import HealthRecord, HealthWriter, online_rate_by_day
from ingest.stores.tables import CameraHealth
from registry.changefeed import Change
from registry.db import SessionFactory
from registry.importer import import_cameras, import_districts
from registry.records import read_records
from tests.registry.factories import DISTRICTS, camera, write_csv

DAY1 = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)


def _league(db: SessionFactory, tmp_path: Path) -> None:
    import_districts(db, read_records(write_csv(tmp_path / "d.csv", DISTRICTS), "districts"))
    cams = [camera("a", "150402001001"), camera("b", "150402002"), camera("c", "150404001")]
    import_cameras(db, read_records(write_csv(tmp_path / "c.csv", cams), "cameras"))


def _record(
    camera_id: str, when: datetime, status: CameraStatus, faults: frozenset[str] = frozenset()
) -> HealthRecord:
    state = ProbeState(status=status, status_since=when, faults=faults)
    details = {code: {"value": 1.0} for code in faults}
    return HealthRecord(camera_id, when, state, details)


def test_latest_state_and_daily_counts_are_written_in_batches(
    db: SessionFactory, tmp_path: Path
) -> None:
    _league(db, tmp_path)
    writer = HealthWriter(db, "w1")
    for minute in range(4):  # a: online 4×, b: offline 4×, spanning midnight UTC
        when = DAY1 + timedelta(minutes=minute)
        writer.add(_record("a", when, CameraStatus.ONLINE))
        writer.add(_record("b", when, CameraStatus.OFFLINE))
    writer.add(_record("c", DAY1, CameraStatus.DEGRADED, frozenset({"BLURRED"})))
    assert writer.flush() == 3
    assert writer.flush() == 0
    with db() as session:
        rows = {row.camera_id: row for row in session.scalars(select(CameraHealth))}
    assert rows["a"].last_probe_at == DAY1 + timedelta(minutes=3)
    assert rows["b"].status == "offline"
    assert rows["c"].faults == {"BLURRED": {"value": 1.0}}
    whole = online_rate_by_day(db, "150400/")
    assert [(r.day.isoformat(), r.probes, r.online) for r in whole] == [
        ("2026-11-22", 3, 2),
        ("2026-11-23", 6, 3),
    ]
    banner = online_rate_by_day(db, "150400/150402/")
    assert [(r.probes, r.online) for r in banner] == [(2, 1), (6, 3)]


def test_counts_accumulate_across_flushes(db: SessionFactory, tmp_path: Path) -> None:
    _league(db, tmp_path)
    writer = HealthWriter(db, "w1")
    for _ in range(3):
        writer.add(_record("a", DAY1, CameraStatus.ONLINE))
        writer.flush()
    (rate,) = online_rate_by_day(db, "150400/150402/150402001/")
    assert (rate.probes, rate.online, rate.rate) == (3, 3, 1.0)


def test_a_batch_that_failed_is_merged_into_the_next(db: SessionFactory, tmp_path: Path) -> None:
    _league(db, tmp_path)
    writer = HealthWriter(db, "w1")
    noon = DAY1.replace(hour=12)
    writer.add(_record("a", noon, CameraStatus.ONLINE))
    batch = writer.take()
    assert batch is not None
    assert writer.take() is None
    writer.add(_record("a", noon + timedelta(minutes=1), CameraStatus.OFFLINE))
    writer.put_back(batch)  # as after a failed write: counts add up, the newest state wins
    assert writer.flush() == 1
    with db() as session:
        row = session.get(CameraHealth, "a")
        assert row is not None
        assert row.status == "offline"
    (rate,) = online_rate_by_day(db, "150400/")
    assert (rate.probes, rate.online) == (2, 1)


def test_status_and_fault_moves_are_pushed_once_and_repeats_are_not(
    db: SessionFactory, tmp_path: Path
) -> None:
    _league(db, tmp_path)
    writer = HealthWriter(db, "w1")

    def pushed() -> list[tuple[str, dict[str, object]]]:
        with db() as session:
            rows = session.scalars(select(Change).order_by(Change.id)).all()
            return [(r.entity_id, dict(r.payload)) for r in rows if r.kind == "camera"]

    writer.add(_record("a", DAY1, CameraStatus.ONLINE))
    writer.flush()
    writer.add(_record("a", DAY1 + timedelta(minutes=1), CameraStatus.ONLINE))
    writer.flush()
    writer.add(
        _record("a", DAY1 + timedelta(minutes=2), CameraStatus.DEGRADED, frozenset({"BLURRED"}))
    )
    writer.flush()
    assert pushed() == [
        ("a", {"status": "online", "faults": []}),
        ("a", {"status": "degraded", "faults": ["BLURRED"]}),
    ]
