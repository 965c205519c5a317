"""Errors as RFC 9457 problem details (`application/problem+json`), one stable type per error.

Clients switch on `type`, never on `title` or `detail` (those are for people and may
change wording). The type URIs resolve to the section of docs/api.md that explains them.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.problem import Problem as ProblemBody

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://gridwatch.example/problems/"


class ProblemType(StrEnum):
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    VALIDATION = "validation"
    CONFLICT = "conflict"
    ACTION_REFUSED = "action-refused"
    ILLEGAL_TRANSITION = "illegal-transition"
    BAD_CURSOR = "bad-cursor"
    LOGIN_FAILED = "login-failed"
    LOCKED_OUT = "locked-out"
    TOKEN_INVALID = "token-invalid"  # noqa: S105 - an error type name
    IMPORT_FAILED = "import-failed"
    RATE_LIMITED = "rate-limited"
    TOO_LARGE = "too-large"
    UNSUPPORTED_MEDIA = "unsupported-media-type"
    UPSTREAM = "upstream-unavailable"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    HTTP = "http-error"
    INTERNAL = "internal"

    @property
    def uri(self) -> str:
        return TYPE_BASE + self.value


TITLES = {
    ProblemType.UNAUTHENTICATED: "Authentication required",
    ProblemType.FORBIDDEN: "Not allowed",
    ProblemType.NOT_FOUND: "Not found",
    ProblemType.VALIDATION: "Invalid request",
    ProblemType.CONFLICT: "Conflict",
    ProblemType.ACTION_REFUSED: "Action refused",
    ProblemType.ILLEGAL_TRANSITION: "Illegal case transition",
    ProblemType.BAD_CURSOR: "Bad cursor",
    ProblemType.LOGIN_FAILED: "Login failed",
    ProblemType.LOCKED_OUT: "Account locked",
    ProblemType.TOKEN_INVALID: "Token invalid",
    ProblemType.IMPORT_FAILED: "Import failed",
    ProblemType.RATE_LIMITED: "Too many requests",
    ProblemType.TOO_LARGE: "Too large",
    ProblemType.UNSUPPORTED_MEDIA: "Unsupported media type",
    ProblemType.UPSTREAM: "Camera unavailable",
    ProblemType.METHOD_NOT_ALLOWED: "Method not allowed",
    ProblemType.HTTP: "HTTP error",
    ProblemType.INTERNAL: "Internal error",
}


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        kind: ProblemType,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def not_found(what: str) -> ProblemError:
    return ProblemError(ProblemType.NOT_FOUND, 404, f"{what} not found")


def unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        ProblemType.UNAUTHENTICATED, 401, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def problem_response(
    kind: ProblemType,
    status: int,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = ProblemBody(
        type=kind.uri, title=TITLES[kind], status=status, detail=detail, instance=instance
    ).model_dump(exclude_none=True)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


_STATUS_TYPES = {
    401: ProblemType.UNAUTHENTICATED,
    403: ProblemType.FORBIDDEN,
    404: ProblemType.NOT_FOUND,
    405: ProblemType.METHOD_NOT_ALLOWED,
}


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.kind, exc.status, exc.detail, request.url.path, exc.headers, **exc.extra
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = _STATUS_TYPES.get(exc.status_code, ProblemType.HTTP)
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(kind, exc.status_code, str(exc.detail), request.url.path, headers)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    return problem_response(
        ProblemType.VALIDATION,
        422,
        "the request does not match the schema; see `errors`",
        request.url.path,
        errors=errors,
    )


async def _on_data_error(request: Request, exc: Exception) -> JSONResponse:
    # PostgreSQL refuses what SQLite keeps (a NUL character, an out-of-range number):
    # the request was bad, not the server.
    return problem_response(
        ProblemType.VALIDATION,
        422,
        "a value in the request cannot be stored (a NUL character, or a number out of range)",
        request.url.path,
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The log scrubbing filter masks secrets that an exception text might carry.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        ProblemType.INTERNAL, 500, "internal error; see the server log", request.url.path
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(DataError, _on_data_error)
    app.add_exception_handler(Exception, _on_unexpected)
