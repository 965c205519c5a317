"""GET a fault's evidence picture (written by ingest under data_dir/evidence)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import SessionDep, SnapshotsReader
from api.evidence import EvidenceFilesDep
from api.problems import not_found
from api.queries.cameras import camera_in_scope
from api.routers import V1

router = APIRouter(prefix=V1, tags=["cameras"])


@router.get(
    "/cameras/{camera_id}/evidence/{name}/{picture}",
    response_model=None,
    summary="A picture kept as evidence of a fault: `fault` (judged) or `before` (last good)",
    description="`name` is the part after the camera id in an event's `evidence` reference "
    "(`{stamp}-{code}`); alert responses carry these URLs in `evidence`. Pictures of a "
    "camera outside your district subtree, unknown names and pruned pictures answer 404.",
    responses={
        200: {
            "description": "A JPEG.",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def evidence_picture(
    camera_id: str,
    name: str,
    picture: str,
    principal: SnapshotsReader,
    session: SessionDep,
    files: EvidenceFilesDep,
) -> Response:
    if camera_in_scope(session, principal.scope, camera_id) is None:
        raise not_found("camera")
    session.close()
    jpeg = files.read(camera_id, name, picture)
    if jpeg is None:
        raise not_found("evidence picture")
    # A picture under a name never changes; it is the caller's to keep, not a proxy's.
    cache = {"Cache-Control": "private, max-age=86400"}
    return Response(jpeg, media_type="image/jpeg", headers=cache)
