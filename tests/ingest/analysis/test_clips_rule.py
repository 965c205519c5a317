"""The `clips` marker: skip without the real clips, fail without them on CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLIP_FILES, pytest_runtest_setup


class _Item:
    def __init__(self, marked: bool) -> None:
        self._marked = marked

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return pytest.mark.clips.mark if self._marked and name == "clips" else None


def _setup(item: _Item) -> None:
    pytest_runtest_setup(item)  # type: ignore[arg-type]


def test_absent_clips_skip_locally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_CLIPS_DIR", str(tmp_path / "nowhere"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="real clips missing"):
        _setup(_Item(marked=True))
    _setup(_Item(marked=False))  # unmarked tests never care


def test_absent_clips_fail_on_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWATCH_CLIPS_DIR", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _setup(_Item(marked=True))


def test_present_clips_run_on_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLIP_FILES:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("GRIDWATCH_CLIPS_DIR", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    _setup(_Item(marked=True))
