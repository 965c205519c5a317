from datetime import UTC, datetime, timedelta

from ingest.fleet.leases import LeaseConfig, LeaseManager, shard_of
from registry.db import SessionFactory


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


CONFIG = LeaseConfig(shards=16, ttl_s=30, safety_margin_s=5, worker_timeout_s=30)


def test_one_worker_takes_every_shard(db: SessionFactory) -> None:
    clock = Clock()
    leases = LeaseManager(db, "w1", clock, CONFIG).renew()
    assert leases.shards == frozenset(range(16))
    assert leases.valid_until == clock.now + timedelta(seconds=25)


def test_joining_worker_gets_a_fair_share_without_overlap(db: SessionFactory) -> None:
    clock = Clock()
    first = LeaseManager(db, "w1", clock, CONFIG)
    second = LeaseManager(db, "w2", clock, CONFIG)
    first.renew()
    clock.advance(5)
    assert second.renew().shards == frozenset()  # all held and unexpired
    clock.advance(5)
    a = first.renew()  # sees two live workers: gives back half
    b = second.renew()
    assert len(a.shards) == 8
    assert len(b.shards) == 8
    assert not a.shards & b.shards


def test_shards_of_a_dead_worker_are_taken_after_expiry_only(db: SessionFactory) -> None:
    clock = Clock()
    first = LeaseManager(db, "w1", clock, CONFIG)
    second = LeaseManager(db, "w2", clock, CONFIG)
    first.renew()
    second.renew()
    clock.advance(10)
    held_by_first = first.renew().shards
    held_by_second = second.renew().shards
    assert len(held_by_first) == len(held_by_second) == 8
    # w1 dies. Until its leases expire, w2 cannot take them.
    clock.advance(20)
    assert second.renew().shards == held_by_second
    clock.advance(15)
    taken = second.renew()
    assert taken.shards == frozenset(range(16))


def test_no_camera_is_held_by_two_live_leases(db: SessionFactory) -> None:
    clock = Clock()
    workers = [LeaseManager(db, f"w{i}", clock, CONFIG) for i in range(3)]
    for _ in range(6):
        views = [w.renew() for w in workers]
        clock.advance(3)
        for camera in (f"cam-{n}" for n in range(200)):
            holders = [v for v in views if v.holds(camera, 16, clock.now)]
            assert len(holders) <= 1
    assert sum(len(v.shards) for v in views) == 16


def test_release_all_hands_over_at_once(db: SessionFactory) -> None:
    clock = Clock()
    first = LeaseManager(db, "w1", clock, CONFIG)
    second = LeaseManager(db, "w2", clock, CONFIG)
    first.renew()
    first.release_all()
    assert second.renew().shards == frozenset(range(16))


def test_shard_of_is_stable_and_spread() -> None:
    assert shard_of("15040201001321000001", 256) == shard_of("15040201001321000001", 256)
    counts = [0] * 16
    for n in range(16_000):
        counts[shard_of(f"150402010013210{n:05d}", 16)] += 1
    assert min(counts) > 800
    assert max(counts) < 1200


def test_heartbeats_carry_load_and_the_report_shows_who_is_lost(db: SessionFactory) -> None:
    from ingest.fleet.leases import WorkerLoad
    from ingest.fleet.report import fleet_report

    clock = Clock()
    first = LeaseManager(db, "w1", clock, CONFIG)
    second = LeaseManager(db, "w2", clock, CONFIG)
    first.renew(WorkerLoad(probes_per_s=1.5, p99_lateness_s=0.2))
    second.renew()
    clock.advance(10)
    first.renew(WorkerLoad(probes_per_s=2.0, p99_lateness_s=0.4))
    second.renew(WorkerLoad(probes_per_s=1.3, p99_lateness_s=12.5))

    report = fleet_report(db, clock.now, CONFIG)
    rows = {w.worker_id: w for w in report.workers}
    assert set(rows) == {"w1", "w2"}
    assert (rows["w1"].probes_per_s, rows["w1"].p99_lateness_s) == (2.0, 0.4)
    assert rows["w2"].p99_lateness_s == 12.5
    assert all(w.live for w in report.workers)
    assert rows["w1"].shards + rows["w2"].shards == report.shards_held == 16
    assert report.cameras_held == report.enabled_cameras == 0  # no cameras registered here

    clock.advance(20)
    first.renew()  # w2 has gone quiet: 20 s since its heartbeat, its leases at their end
    clock.advance(15)
    report = fleet_report(db, clock.now, CONFIG)
    rows = {w.worker_id: w for w in report.workers}
    assert rows["w1"].live
    assert not rows["w2"].live  # 35 s without a heartbeat > the 30 s timeout
    assert rows["w2"].shards == 0  # its leases expired
    assert report.shards_held == rows["w1"].shards < 16
