"""Evidence pictures for the API: links for responses, and the picture bytes.

Ingest writes them (`ingest.stores.evidence`, which owns the layout and the name
grammar); here they are only found and read. A link is given only for a picture on
disk now, so an alert whose evidence was pruned shows none instead of a dead link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from api.deps import SettingsDep
from api.routers import V1
from api.schemas.evidence import EvidenceOut
from ingest.stores.evidence import (
    BadReference,
    Picture,
    evidence_root,
    parse_reference,
    picture_path,
)


def picture_url(camera_id: str, name: str, picture: Picture) -> str:
    return f"{V1}/cameras/{camera_id}/evidence/{name}/{picture}"


@dataclass(frozen=True, slots=True)
class EvidenceFiles:
    root: Path

    def links(self, reference: object) -> EvidenceOut | None:
        """Links for an event's `evidence` reference; None without a fault picture."""
        if not isinstance(reference, str):
            return None
        try:
            camera_id, name = parse_reference(reference)
        except BadReference:
            return None
        if not picture_path(self.root, camera_id, name, Picture.FAULT).is_file():
            return None
        before = picture_path(self.root, camera_id, name, Picture.BEFORE).is_file()
        return EvidenceOut(
            fault_url=picture_url(camera_id, name, Picture.FAULT),
            before_url=picture_url(camera_id, name, Picture.BEFORE) if before else None,
        )

    def read(self, camera_id: str, name: str, picture: str) -> bytes | None:
        """The picture's JPEG, or None for a name outside the grammar or no such file."""
        try:
            path = picture_path(self.root, camera_id, name, Picture(picture))
        except (BadReference, ValueError):
            return None
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None


def get_evidence_files(settings: SettingsDep) -> EvidenceFiles:
    return EvidenceFiles(evidence_root(settings.data_dir))


EvidenceFilesDep = Annotated[EvidenceFiles, Depends(get_evidence_files)]
