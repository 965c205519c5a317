"""POST an SDP offer for a camera's live video; DELETE to leave; GET what is being watched."""

from __future__ import annotations

from typing import Annotated

from aiortc import RTCSessionDescription
from fastapi import APIRouter, Depends, Request, Response, status

from api.deps import SessionDep, SnapshotsReader
from api.live.admission import live_url
from api.live.hub import LiveHub, LiveRefused
from api.live.schemas import LiveAnswer, LiveOffer, LiveUpstream
from api.problems import ProblemError, ProblemType, not_found
from api.queries.cameras import camera_in_scope
from api.routers import V1
from api.schemas.problem import Problem
from ingest.sources.credentials import Credentials
from ingest.sources.failures import ProbeError
from registry.models import District
from registry.secrets import camera_login

router = APIRouter(prefix=V1, tags=["live"])


def get_hub(request: Request) -> LiveHub:
    hub = request.app.state.live_hub
    assert isinstance(hub, LiveHub)
    return hub


HubDep = Annotated[LiveHub, Depends(get_hub)]


@router.post(
    "/cameras/{camera_id}/live",
    response_model=LiveAnswer,
    summary="Watch a camera live: send a WebRTC offer, get the answer",
    responses={
        429: {"model": Problem, "description": "Too many live viewers of this camera or server."},
        502: {"model": Problem, "description": "The camera's stream could not be opened."},
    },
)
async def watch(
    camera_id: str, body: LiveOffer, principal: SnapshotsReader, session: SessionDep, hub: HubDep
) -> LiveAnswer:
    camera = camera_in_scope(session, principal.scope, camera_id)
    if camera is None:
        raise not_found("camera")
    url = live_url(camera.sub_url, camera.main_url)
    if url is None:
        raise not_found("RTSP or MJPEG stream URL of this camera")
    district = session.get(District, camera.district_code)
    assert district is not None
    login = camera_login(session, camera_id)
    session.close()  # no connection held while the camera's stream opens
    try:
        viewer_id, answer = await hub.join(
            camera_id,
            district.path,
            url,
            Credentials.of(*login) if login else None,
            principal.user_id,
            RTCSessionDescription(sdp=body.sdp, type=body.type),
        )
    except LiveRefused as exc:
        raise ProblemError(
            ProblemType.RATE_LIMITED,
            429,
            exc.refusal.detail,
            headers={"Retry-After": "30"},
            limit=exc.refusal.limit,
        ) from None
    except ProbeError as exc:
        raise ProblemError(
            ProblemType.UPSTREAM,
            502,
            f"the camera's stream could not be opened: {exc.code.value}",
            failure=exc.code.value,
        ) from None
    except ValueError as exc:  # aiortc's verdict on a malformed offer
        raise ProblemError(ProblemType.VALIDATION, 422, f"invalid SDP offer: {exc}") from None
    return LiveAnswer(sdp=answer.sdp, viewer_id=viewer_id)


@router.delete(
    "/cameras/{camera_id}/live/{viewer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Stop watching (the camera's stream closes after its last viewer)",
)
async def leave(
    camera_id: str, viewer_id: str, principal: SnapshotsReader, hub: HubDep
) -> Response:
    if hub.owner_of(viewer_id) != principal.user_id:
        raise not_found("live view")
    await hub.leave(viewer_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/live",
    response_model=list[LiveUpstream],
    summary="Cameras of your subtree being watched live now, with their viewers",
)
async def watched(principal: SnapshotsReader, hub: HubDep) -> list[LiveUpstream]:
    return [
        LiveUpstream(
            camera_id=s.camera_id,
            viewers=s.viewers,
            opened_at=s.opened_at,
            frames_decoded=s.frames_decoded,
        )
        for s in hub.status()
        if principal.scope.contains(s.district_path)
    ]
