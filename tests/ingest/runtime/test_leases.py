from datetime import UTC, datetime, timedelta

from ingest.leases import LeaseConfig, LeaseManager, shard_of
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
