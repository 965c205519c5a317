"""GET a camera's current picture through the server (credentials added server-side)."""

from __future__ import annotations

import math

from fastapi import APIRouter, Response

from api.deps import ContextDep, NowDep, SessionDep, SnapshotsReader
from api.problems import ProblemError, ProblemType, not_found
from api.queries.cameras import camera_in_scope
from api.routers import V1
from ingest.sources.credentials import Credentials
from ingest.sources.failures import ProbeError
from registry.secrets import camera_login

router = APIRouter(prefix=V1, tags=["cameras"])


@router.get(
    "/cameras/{camera_id}/snapshot",
    response_model=None,
    summary="The camera's picture now, fetched by the server",
    responses={
        200: {
            "description": "A JPEG.",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        429: {"description": "Fetched for this camera too recently; see Retry-After."},
        502: {"description": "The camera did not deliver a picture."},
    },
)
async def snapshot(
    camera_id: str,
    principal: SnapshotsReader,
    session: SessionDep,
    context: ContextDep,
    now: NowDep,
) -> Response:
    camera = camera_in_scope(session, principal.scope, camera_id)
    if camera is None:
        raise not_found("camera")
    if not camera.snapshot_url:
        raise not_found("snapshot URL of this camera")
    wait = context.snapshot_limiter.admit(camera_id, now)
    if wait > 0:
        raise ProblemError(
            ProblemType.RATE_LIMITED,
            429,
            f"this camera's picture was fetched less than "
            f"{context.settings.snapshot_min_interval_s:g} s ago",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    login = camera_login(session, camera_id)
    session.close()  # no connection held while waiting on the camera
    credentials = Credentials.of(*login) if login else None
    fetcher = context.snapshot_fetcher
    try:
        jpeg = await fetcher.fetch(camera.snapshot_url, credentials)
    except ProbeError as exc:
        # The failure code only: the detail could name the camera's address.
        raise ProblemError(
            ProblemType.UPSTREAM,
            502,
            f"the camera gave no picture: {exc.code.value}",
            failure=exc.code.value,
        ) from None
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
