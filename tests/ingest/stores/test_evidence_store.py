"""The evidence store on a real folder: layout, bounds by count and by age (injected
clock), atomic writes, and disk errors that never reach the caller."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.stores.evidence import (
    BadReference,
    EvidenceBounds,
    EvidenceStore,
    Picture,
    evidence_name,
    expired,
    name_time,
    parse_reference,
    picture_path,
)

T0 = datetime(2026, 11, 26, 8, 0, 0, 123_000, tzinfo=UTC)
FAULT = b"\xff\xd8fault\xff\xd9"
BEFORE = b"\xff\xd8before\xff\xd9"
DAY_S = 86_400.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _store(root: Path, keep: int = 5, max_age_s: float = 7 * DAY_S) -> tuple[EvidenceStore, Clock]:
    clock = Clock()
    return EvidenceStore(root, EvidenceBounds(keep, max_age_s), clock), clock


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_fault_and_its_before_picture_are_found_from_the_reference(tmp_path: Path) -> None:
    store, _ = _store(tmp_path / "evidence")
    reference = store.keep("cam-1", T0, "NO_SIGNAL", FAULT, BEFORE)
    assert reference == "cam-1/20261126T080000123Z-NO_SIGNAL"
    camera_id, name = parse_reference(reference)
    root = tmp_path / "evidence"
    assert picture_path(root, camera_id, name, Picture.FAULT).read_bytes() == FAULT
    assert picture_path(root, camera_id, name, Picture.BEFORE).read_bytes() == BEFORE
    assert name_time(name) == T0
    # Without a good picture before it, only the fault picture; no temporary files left.
    later = store.keep("cam-1", T0 + timedelta(seconds=60), "FROZEN", FAULT, None)
    assert later == "cam-1/20261126T080100123Z-FROZEN"
    assert _files(root / "cam-1") == [
        "20261126T080000123Z-NO_SIGNAL.before.jpg",
        "20261126T080000123Z-NO_SIGNAL.fault.jpg",
        "20261126T080100123Z-FROZEN.fault.jpg",
    ]


@pytest.mark.parametrize(
    "reference",
    [
        "../etc/passwd",
        "cam-1/../../etc/passwd",
        "cam-1/..",
        "../20261126T080000123Z-NO_SIGNAL",
        "cam-1/20261126T080000123Z-NO_SIGNAL/../x",
        "cam-1/20261126T080000123Z-no_signal",
        "cam-1/20261126T080000123Z-NO_SIGNAL.fault.jpg",
        "cam-1",
        "/cam-1/20261126T080000123Z-NO_SIGNAL",
        ".hidden/20261126T080000123Z-NO_SIGNAL",
        "cam-1/20261126T080000123Z-NO_SIGNAL\x00",
    ],
)
def test_a_reference_outside_the_grammar_is_refused(reference: str) -> None:
    with pytest.raises(BadReference):
        parse_reference(reference)


def test_each_camera_keeps_its_newest_pairs_up_to_the_count(tmp_path: Path) -> None:
    store, clock = _store(tmp_path, keep=3)
    references = []
    for minute in range(5):
        clock.now = T0 + timedelta(minutes=minute)
        references.append(store.keep("cam-1", clock.now, "BLURRED", FAULT, BEFORE))
    store.keep("cam-2", clock.now, "BLURRED", FAULT, None)
    kept = {p.name.split(".")[0] for p in (tmp_path / "cam-1").iterdir()}
    assert kept == {r.split("/")[1] for r in references[2:] if r}
    assert len(list((tmp_path / "cam-1").iterdir())) == 6  # three pairs
    assert len(list((tmp_path / "cam-2").iterdir())) == 1  # another camera's count is its own


def test_pictures_older_than_the_age_go_on_the_next_write_and_on_a_sweep(tmp_path: Path) -> None:
    store, clock = _store(tmp_path, keep=100, max_age_s=DAY_S)
    store.keep("cam-1", T0, "TOO_DARK", FAULT, BEFORE)
    store.keep("cam-2", T0, "TOO_DARK", FAULT, BEFORE)
    clock.now = T0 + timedelta(seconds=DAY_S - 1)
    store.keep("cam-1", clock.now, "TOO_DARK", FAULT, None)
    assert len(_files(tmp_path / "cam-1")) == 3  # one second short of a day: kept
    clock.now = T0 + timedelta(seconds=DAY_S + 1)
    store.keep("cam-1", clock.now, "NOISY", FAULT, None)
    assert [f.split(".")[0][-5:] for f in _files(tmp_path / "cam-1")] == ["_DARK", "NOISY"]
    # cam-2 faulted no more: the sweep prunes it, and leaves foreign files alone.
    (tmp_path / "cam-2" / "notes.txt").write_text("not evidence")
    assert store.sweep() == 2
    assert _files(tmp_path / "cam-2") == ["notes.txt"]


def test_expired_is_a_pure_decision_on_names() -> None:
    names = {evidence_name(T0 + timedelta(hours=h), "MOVED") for h in range(6)}
    bounds = EvidenceBounds(keep_per_camera=4, max_age_s=3.5 * 3600)
    gone = expired(names, T0 + timedelta(hours=6), bounds)
    # count keeps hours 2..5, age (3.5 h before hour 6) keeps hours 3..5
    assert sorted(gone) == sorted(
        evidence_name(T0 + timedelta(hours=h), "MOVED") for h in (0, 1, 2)
    )


def test_a_failed_rename_leaves_the_old_picture_and_no_temporary_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, _ = _store(tmp_path)
    reference = store.keep("cam-1", T0, "OCCLUDED", FAULT, None)
    assert reference is not None
    # Same name again, but its fault picture path is now a folder: the rename fails.
    path = picture_path(tmp_path, "cam-1", reference.split("/")[1], Picture.FAULT)
    path.unlink()
    path.mkdir()
    with caplog.at_level(logging.ERROR, logger="ingest.stores.evidence"):
        assert store.keep("cam-1", T0, "OCCLUDED", FAULT, BEFORE) is None
    assert not [p for p in (tmp_path / "cam-1").iterdir() if p.name.endswith(".tmp")]
    assert path.is_dir()
    assert store.errors == 1


def test_an_unusable_folder_is_logged_once_per_run_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "evidence"
    root.write_text("a file where the folder should be")  # root can write anywhere
    store, clock = _store(root)
    with caplog.at_level(logging.DEBUG, logger="ingest.stores.evidence"):
        for second in range(3):
            clock.now = T0 + timedelta(seconds=second)
            assert store.keep("cam-1", clock.now, "NO_SIGNAL", FAULT, BEFORE) is None
        root.unlink()
        assert store.keep("cam-1", clock.now, "NO_SIGNAL", FAULT, BEFORE) is not None
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "cam-1" in errors[0].getMessage()
    assert store.errors == 3
    assert any("written again" in r.getMessage() for r in caplog.records)


def test_a_full_disk_does_not_raise(tmp_path: Path) -> None:
    """A file-size limit makes every write past 1 KB fail with EFBIG, as a full disk
    fails with ENOSPC: an OSError from write(). In a child process, so the limit cannot
    touch the test run's own files."""
    script = textwrap.dedent(
        f"""
        import resource, signal
        from datetime import UTC, datetime
        from pathlib import Path
        from ingest.stores.evidence import EvidenceBounds, EvidenceStore
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))
        store = EvidenceStore(Path({str(tmp_path)!r}), EvidenceBounds(), lambda: datetime.now(UTC))
        at = datetime(2026, 11, 26, tzinfo=UTC)
        print(store.keep("cam-1", at, "NO_SIGNAL", b"x" * 50_000, None), store.errors)
        print(store.keep("cam-1", at, "FROZEN", b"x" * 500, None), store.errors)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.splitlines() == ["None 1", "cam-1/20261126T000000000Z-FROZEN 1"]
    assert "not written" in done.stderr  # logged once, on the child's stderr
    assert _files(tmp_path / "cam-1") == ["20261126T000000000Z-FROZEN.fault.jpg"]
