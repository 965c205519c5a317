"""Photos a department attaches to a case: the proof of its work (a cleaned lens, a new
cable) shown with the resolution.

Rules: only JPEG, PNG or WebP, recognised by their first bytes (never by a name or a
declared type), at most `MAX_PHOTO_BYTES`, and only to a case still being worked (not
closed, followed up or archived). A photo is kept once as `<root>/<case id>/<sha256>.<ext>`
(the same bytes twice are the same photo) and the audit trail gets an `attach_photo` row
naming it; a case's photos are exactly those its trail names, so nothing else under the
root can be fetched through a case.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from alerts.cases.commands import lock_case
from alerts.cases.lifecycle import record
from alerts.cases.models import CaseEvent
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import FINISHED, CaseAction, CaseStatus
from registry.db import SessionFactory, transaction

MAX_PHOTO_BYTES = 5 * 1024 * 1024
_PHOTO_ID = re.compile(r"^[0-9a-f]{64}$")
# media type → file extension
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class BadPhoto(CaseError):
    """Not an image we keep, or too big; says which."""


@dataclass(frozen=True, slots=True)
class Photo:
    id: str
    media_type: str
    size: int


def sniff(content: bytes) -> str | None:
    """The media type the bytes start like (JPEG, PNG, WebP), else None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(content: bytes) -> Photo:
    """The photo the bytes make, or `BadPhoto` saying why they are refused."""
    if len(content) > MAX_PHOTO_BYTES:
        raise BadPhoto(f"a photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB")
    media_type = sniff(content)
    if media_type is None:
        raise BadPhoto("only JPEG, PNG or WebP pictures can be attached")
    return Photo(hashlib.sha256(content).hexdigest(), media_type, len(content))


def photo_path(root: Path, case_id: int, photo: Photo) -> Path:
    return root / str(case_id) / f"{photo.id}.{EXTENSIONS[photo.media_type]}"


def _write_once(path: Path, content: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(content)
    os.replace(partial, path)  # readers never see half a picture


def attach_photo(
    factory: SessionFactory,
    root: Path,
    case_id: int,
    content: bytes,
    *,
    actor: str,
    now: datetime,
) -> Photo:
    """Keep the photo and record it on the case's audit trail."""
    photo = check_photo(content)
    with transaction(factory) as session:
        case = lock_case(session, case_id)
        if CaseStatus(case.status) in FINISHED:
            raise CaseError(f"case {case_id} is {case.status}: photos go with the work, not after")
        _write_once(photo_path(root, case_id, photo), content)
        record(
            session,
            case,
            CaseAction.ATTACH_PHOTO,
            actor=actor,
            now=now,
            from_status=case.status,
            data={"photo": photo.id, "media_type": photo.media_type, "bytes": photo.size},
        )
    return photo


def _photos_named(factory: SessionFactory, case_id: int) -> dict[str, Photo]:
    """The photos the case's audit trail names, by id."""
    with factory() as session:
        rows = session.scalars(
            select(CaseEvent.data).where(
                CaseEvent.case_id == case_id, CaseEvent.action == str(CaseAction.ATTACH_PHOTO)
            )
        )
        return {d["photo"]: Photo(d["photo"], d["media_type"], d["bytes"]) for d in rows}


def case_photo(
    factory: SessionFactory, root: Path, case_id: int, photo_id: str
) -> tuple[Path, Photo] | None:
    """Where a photo the case's trail names is kept, and what it is; None for any other id."""
    if not _PHOTO_ID.match(photo_id):
        return None
    photo = _photos_named(factory, case_id).get(photo_id)
    if photo is None:
        return None
    path = photo_path(root, case_id, photo)
    return (path, photo) if path.is_file() else None


def not_attached(factory: SessionFactory, case_id: int, photo_ids: list[str]) -> list[str]:
    """Those of `photo_ids` the case's trail does not name (empty: all are attached)."""
    named = _photos_named(factory, case_id)
    return [photo_id for photo_id in photo_ids if photo_id not in named]
