"""The disk spool: order, acknowledgement, restarts, the full-spool policy, group commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingest.publishing.spool import Spool, SpoolFull, SpoolInUse

REPO = Path(__file__).resolve().parents[3]


def numbered(spool: Spool, count: int) -> list[int]:
    return [
        spool.append_event(lambda seq: (f"t/{seq}", f"event {seq}".encode())).seq or 0
        for _ in range(count)
    ]


def test_messages_come_back_in_seq_order_and_leave_on_ack(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite") as spool:
        assert numbered(spool, 5) == [1, 2, 3, 4, 5]
        first = spool.next_batch(3)
        assert [m.seq for m in first] == [1, 2, 3]
        assert [m.payload for m in first] == [b"event 1", b"event 2", b"event 3"]
        assert [m.seq for m in spool.next_batch(10)] == [4, 5]
        assert spool.next_batch(10) == []
        spool.ack([first[1].id])
        assert spool.pending == 4
        spool.rewind()
        assert [m.seq for m in spool.next_batch(10)] == [1, 3, 4, 5]


def test_restart_continues_seq_and_replays_unacked(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Spool(path) as spool:
        numbered(spool, 4)
        spool.ack(m.id for m in spool.next_batch(2))
    with Spool(path) as reopened:
        assert reopened.pending == 2
        assert [m.seq for m in reopened.next_batch(10)] == [3, 4]
        reopened.ack(m.id for m in reopened.next_batch(10))
        reopened.rewind()
        reopened.ack(m.id for m in reopened.next_batch(10))
    with Spool(path) as again:
        assert again.pending == 0
        assert numbered(again, 1) == [5], "an empty spool still remembers the last seq"


def test_a_killed_process_loses_nothing_it_committed(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    child = textwrap.dedent(
        f"""
        import os, signal
        from ingest.publishing.spool import Spool
        spool = Spool({str(path)!r}, commit_every=1000)
        for _ in range(300):
            spool.append_event(lambda seq: ("t", str(seq).encode()))
        spool.commit()
        spool.append_event(lambda seq: ("t", b"never committed"))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", child], cwd=REPO, check=False)
    assert result.returncode == -signal.SIGKILL
    with Spool(path) as survivor:
        assert survivor.pending == 300
        replay = survivor.next_batch(1000)
        assert [m.seq for m in replay] == list(range(1, 301))
        assert numbered(survivor, 1) == [301]


def test_full_spool_refuses_events_and_counts(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite", max_messages=3) as spool:
        numbered(spool, 3)
        with pytest.raises(SpoolFull, match="max_messages=3"):
            numbered(spool, 1)
        assert spool.counters().refused == 1
        spool.ack([spool.next_batch(1)[0].id])
        assert numbered(spool, 1) == [4], "a refused event does not use up a seq"


def test_status_is_latest_wins_until_dispatched(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite") as spool:
        spool.append_status("cam-1", "s/cam-1", b"online")
        sent = spool.next_batch(10)
        spool.append_status("cam-1", "s/cam-1", b"degraded")
        spool.append_status("cam-2", "s/cam-2", b"online")
        spool.append_status("cam-1", "s/cam-1", b"offline")
        assert [m.payload for m in sent] == [b"online"]
        assert [(m.topic, m.payload, m.retain) for m in spool.next_batch(10)] == [
            ("s/cam-2", b"online", True),
            ("s/cam-1", b"offline", True),
        ]
        assert spool.counters().status_replaced == 1
        assert spool.pending == 3


def test_full_spool_drops_the_oldest_unsent_status_only(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite", max_messages=3) as spool:
        spool.append_status("cam-1", "s/cam-1", b"a")
        spool.append_status("cam-2", "s/cam-2", b"b")
        numbered(spool, 1)
        spool.append_status("cam-3", "s/cam-3", b"c")
        assert spool.counters().status_dropped == 1
        assert [m.topic for m in spool.next_batch(10)] == ["s/cam-2", "t/1", "s/cam-3"]
        with pytest.raises(SpoolFull):
            numbered(spool, 1)
        with pytest.raises(SpoolFull):
            spool.append_status("cam-4", "s/cam-4", b"d")  # every status is already in flight


def test_group_commit_uses_far_fewer_commits_than_events(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite", commit_every=100) as spool:
        numbered(spool, 1000)
        spool.ack(m.id for m in spool.next_batch(1000))
        spool.commit()
        assert spool.counters().commits <= 25
    with Spool(tmp_path / "naive.sqlite", commit_every=1) as naive:
        numbered(naive, 100)
        assert naive.counters().commits == 100


def test_one_process_per_spool_file(tmp_path: Path) -> None:
    with Spool(tmp_path / "s.sqlite") as spool:
        numbered(spool, 1)
        spool.commit()
        with pytest.raises(SpoolInUse):
            Spool(tmp_path / "s.sqlite")


def test_pending_rows_are_in_the_file_not_only_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Spool(path) as spool:
        numbered(spool, 2)
    assert os.path.getsize(path) > 0
    import sqlite3

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT seq FROM spool ORDER BY id").fetchall() == [(1,), (2,)]
