"""Photos on a case: a handler's proof of the work, uploaded before resolving, and shown
on the case page. The body is the picture itself (`Content-Type: image/jpeg`, `image/png`
or `image/webp`), read up to the size limit and no further; `alerts.cases.photos` decides
what is an image and keeps it. Reading a photo needs the case in your subtree; adding one
needs the right to act on the case (a handler: their own department's case only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi import Path as PathParam

from alerts.cases.photos import MAX_PHOTO_BYTES, BadPhoto, attach_photo, case_photo
from alerts.cases.transitions import CaseError
from alerts.cases.vocabulary import CaseAction
from api.auth.case_roles import refusal
from api.context import AppContext
from api.deps import CasesActor, CasesReader, ContextDep, NowDep, SessionDep
from api.problems import ProblemError, ProblemType, not_found
from api.queries.cases import case_in_scope
from api.routers import V1
from api.routers.cases import REFUSED, CaseId, case_error
from api.schemas.cases import PhotoOut
from api.schemas.problem import Problem

router = APIRouter(prefix=f"{V1}/cases", tags=["cases"])
MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp")
_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
PhotoId = Annotated[str, PathParam(pattern="^[0-9a-f]{64}$", description="The photo's SHA-256.")]


def photos_root(context: AppContext) -> Path:
    return context.settings.data_dir / "case-photos"


def _too_large() -> ProblemError:
    return ProblemError(
        ProblemType.TOO_LARGE, 413, f"a photo may be at most {MAX_PHOTO_BYTES // 2**20} MiB"
    )


async def photo_body(request: Request, _principal: CasesActor) -> bytes:
    """The request body, refused as soon as it passes the limit (never read whole first).
    Only for an authenticated caller: the principal is resolved first (401 before 415)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES:
        raise _too_large()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ProblemError(
            ProblemType.UNSUPPORTED_MEDIA,
            415,
            f"send the picture as one of {', '.join(MEDIA_TYPES)}",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PHOTO_BYTES:
            raise _too_large()
    return bytes(body)


@router.post(
    "/{case_id}/photos",
    response_model=PhotoOut,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a photo (JPEG, PNG or WebP, at most 5 MiB) to the case's audit trail",
    openapi_extra={
        "requestBody": {"required": True, "content": {media: _BINARY for media in MEDIA_TYPES}}
    },
    responses={
        **REFUSED,
        413: {"model": Problem, "description": "Larger than the limit."},
        415: {"model": Problem, "description": "Not a JPEG, PNG or WebP picture."},
    },
)
def add_photo(
    case_id: CaseId,
    content: Annotated[bytes, Depends(photo_body)],
    principal: CasesActor,
    context: ContextDep,
    session: SessionDep,
    now: NowDep,
) -> PhotoOut:
    case = case_in_scope(session, principal.scope, case_id)
    if case is None:
        raise not_found("case")
    # Whoever may resolve the case may show how.
    if why := refusal(
        principal.role, principal.department_id, case.department_id, CaseAction.RESOLVE
    ):
        raise ProblemError(ProblemType.FORBIDDEN, 403, why)
    session.rollback()
    try:
        photo = attach_photo(
            context.factory,
            photos_root(context),
            case_id,
            content,
            actor=principal.username,
            now=now,
        )
    except BadPhoto as exc:
        raise ProblemError(ProblemType.UNSUPPORTED_MEDIA, 415, str(exc)) from None
    except CaseError as exc:
        raise case_error(exc) from None
    return PhotoOut(
        id=photo.id,
        media_type=photo.media_type,
        bytes=photo.size,
        url=f"{V1}/cases/{case_id}/photos/{photo.id}",
    )


@router.get(
    "/{case_id}/photos/{photo_id}",
    response_model=None,
    summary="A photo attached to the case",
    responses={200: {"description": "The picture.", "content": {m: _BINARY for m in MEDIA_TYPES}}},
)
def get_photo(
    case_id: CaseId,
    photo_id: PhotoId,
    principal: CasesReader,
    context: ContextDep,
    session: SessionDep,
) -> Response:
    if case_in_scope(session, principal.scope, case_id) is None:
        raise not_found("case")
    session.close()
    found = case_photo(context.factory, photos_root(context), case_id, photo_id)
    if found is None:
        raise not_found("photo")
    path, photo = found
    return Response(
        path.read_bytes(),
        media_type=photo.media_type,
        headers={
            "Cache-Control": "private, max-age=86400",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
