"""Secret key files under the data folder: created on first use, readable by the owner only.

Kept outside the database on purpose: a dump of the database alone must not hold the
keys that decrypt it or sign its users' tokens.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path


class KeyFileUnsafe(RuntimeError):
    """A key file others may read; the message says how to fix it."""


def read_or_create_key(path: Path, make: Callable[[], bytes]) -> bytes:
    """The key in `path`, or a new one from `make()` written there with mode 0600.

    Two processes starting at once agree on one key: the file is created exclusively
    and the loser reads the winner's.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(make())
        handle.flush()
        os.fsync(handle.fileno())
    return _read(path)


def _read(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileUnsafe(
            f"key file {path} has mode {mode:04o}: others may read it; run `chmod 600 {path}`"
        )
    key = path.read_bytes().strip()
    if not key:
        raise KeyFileUnsafe(f"key file {path} is empty: remove it to have a new key made")
    return key


def write_key(path: Path, key: bytes) -> None:
    """Replace the key in `path` atomically, keeping mode 0600."""
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
