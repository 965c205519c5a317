"""Evidence pictures of `health.fault` events, on disk under `data_dir/evidence/`.

Layout: `{root}/{camera_id}/{name}.fault.jpg` is the picture the checks judged faulty,
`{root}/{camera_id}/{name}.before.jpg` (when there was one) the camera's last good
picture before it. `name` is `{stamp}-{code}`: the sample's capture time in UTC to the
millisecond (`20261126T080000123Z`) and the first fault code it raised. The event's
`evidence` is the reference `{camera_id}/{name}`, relative and free of credentials.

Rules:
- names are checked against one strict grammar (`parse_reference`, `picture_path`),
  so no reference can point outside the camera's folder;
- each picture is written to a temporary file in the same folder and renamed, so a
  reader never sees half a picture;
- each camera keeps at most `keep_per_camera` pairs, none older than `max_age_s`
  (by the stamp in the name, against the injected clock); pruned on every write and by
  `sweep` for cameras that stopped faulting;
- a disk error never reaches the probe: `keep` logs it once per run of errors and
  answers None, and the event goes out without evidence.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from config.clock import WallClock

log = logging.getLogger(__name__)

FOLDER = "evidence"
_CAMERA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")  # registry.rows' plain ids
_NAME = re.compile(r"^(\d{8}T\d{9}Z)-([A-Z][A-Z0-9_]{0,31})$")
_STAMP = "%Y%m%dT%H%M%S"
_SUFFIX = ".jpg"


class Picture(StrEnum):
    FAULT = "fault"
    BEFORE = "before"


_KINDS = frozenset(p.value for p in Picture)


class BadReference(ValueError):
    """A reference or name outside the grammar (a typo, or an attempt to leave the folder)."""


def evidence_root(data_dir: Path) -> Path:
    """Where ingest writes evidence and the API reads it."""
    return data_dir / FOLDER


def evidence_name(at: datetime, code: str) -> str:
    utc = at.astimezone(UTC)
    name = f"{utc.strftime(_STAMP)}{utc.microsecond // 1000:03d}Z-{code}"
    check_name(name)
    return name


def check_camera_id(camera_id: str) -> str:
    if not _CAMERA.match(camera_id):
        raise BadReference("not a camera id")
    return camera_id


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise BadReference("not an evidence name")
    return name


def name_time(name: str) -> datetime:
    match = _NAME.match(name)
    if match is None:
        raise BadReference("not an evidence name")
    stamp = match.group(1)
    at = datetime.strptime(stamp[:15], _STAMP).replace(tzinfo=UTC)
    return at + timedelta(milliseconds=int(stamp[15:18]))


def parse_reference(reference: str) -> tuple[str, str]:
    """(camera_id, name) of an event's `evidence`; raises `BadReference`."""
    camera_id, slash, name = reference.partition("/")
    if not slash:
        raise BadReference("an evidence reference is camera_id/name")
    return check_camera_id(camera_id), check_name(name)


def picture_path(root: Path, camera_id: str, name: str, picture: Picture) -> Path:
    return root / check_camera_id(camera_id) / f"{check_name(name)}.{Picture(picture)}{_SUFFIX}"


@dataclass(frozen=True, slots=True)
class EvidenceBounds:
    keep_per_camera: int = 20
    max_age_s: float = 30 * 86_400.0
    hold_max_bytes: int = 256 * 1024**2
    """Memory one worker may spend on the cameras' last good pictures (held until a fault)."""

    def __post_init__(self) -> None:
        if self.keep_per_camera < 1 or self.max_age_s <= 0:
            raise ValueError("need keep_per_camera >= 1 and max_age_s > 0")


def _names_in(folder: Path) -> set[str]:
    names = set()
    for entry in os.scandir(folder):
        stem, _, kind = entry.name.removesuffix(_SUFFIX).rpartition(".")
        if kind in _KINDS and _NAME.match(stem):
            names.add(stem)
    return names


def expired(names: set[str], now: datetime, bounds: EvidenceBounds) -> list[str]:
    """The names to delete: beyond the newest `keep_per_camera`, or older than the age."""
    newest_first = sorted(names, reverse=True)  # stamps sort as times
    oldest_kept = now - timedelta(seconds=bounds.max_age_s)
    return [
        name
        for index, name in enumerate(newest_first)
        if index >= bounds.keep_per_camera or name_time(name) < oldest_kept
    ]


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


class EvidenceStore:
    """Writes and prunes evidence; safe to call from several threads and workers."""

    def __init__(self, root: Path, bounds: EvidenceBounds, clock: WallClock) -> None:
        self.root = root
        self.bounds = bounds
        self.clock = clock
        self.errors = 0  # writes that failed, ever
        self._failing = False
        self._lock = threading.Lock()

    def keep(
        self, camera_id: str, at: datetime, code: str, fault: bytes, before: bytes | None
    ) -> str | None:
        """Store the judged picture (and the one before it); the event's reference, or
        None when the disk refused (logged once per run of failures)."""
        try:
            name = evidence_name(at, code)
            folder = self.root / check_camera_id(camera_id)
            folder.mkdir(parents=True, exist_ok=True)
            if before is not None:
                _write_atomically(picture_path(self.root, camera_id, name, Picture.BEFORE), before)
            _write_atomically(picture_path(self.root, camera_id, name, Picture.FAULT), fault)
            self._prune(folder)
        except (OSError, BadReference) as error:
            self._note_failure(camera_id, error)
            return None
        self._note_success()
        return f"{camera_id}/{name}"

    def sweep(self) -> int:
        """Prune every camera's folder (cameras that stopped faulting); pictures removed."""
        removed = 0
        try:
            folders = [e for e in os.scandir(self.root) if e.is_dir() and _CAMERA.match(e.name)]
        except FileNotFoundError:
            return 0
        except OSError:
            log.warning("evidence folder %s not readable; not pruned", self.root, exc_info=True)
            return 0
        for entry in folders:
            try:
                removed += self._prune(Path(entry.path))
            except OSError:
                log.warning("evidence of camera %s not pruned", entry.name, exc_info=True)
        return removed

    def _prune(self, folder: Path) -> int:
        removed = 0
        for name in expired(_names_in(folder), self.clock(), self.bounds):
            for picture in Picture:
                with contextlib.suppress(FileNotFoundError):  # another worker was first
                    (folder / f"{name}.{picture}{_SUFFIX}").unlink()
                    removed += 1
        return removed

    def _note_failure(self, camera_id: str, error: Exception) -> None:
        with self._lock:
            self.errors += 1
            first, self._failing = not self._failing, True
        if first:
            log.error("evidence of camera %s not written (%s); events go without", camera_id, error)
        else:
            log.debug("evidence of camera %s not written: %s", camera_id, error)

    def _note_success(self) -> None:
        if self._failing:
            with self._lock:
                self._failing = False
            log.warning("evidence is written again")
