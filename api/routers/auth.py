"""Login, refresh, logout, the current user, and the caller's API tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from api.auth import access_tokens
from api.deps import ContextDep, NowDep, PrincipalDep, SessionDep, TokensManager
from api.problems import ProblemError, ProblemType, not_found
from api.routers import V1
from api.schemas.auth import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    LoginRequest,
    Me,
    RefreshRequest,
    TokenPair,
)
from api.schemas.problem import Problem
from registry.auth_tables import ApiToken, User
from registry.tokens import (
    TokenInvalid,
    create_api_token,
    issue_refresh,
    list_api_tokens,
    revoke_api_token,
    revoke_refresh,
    rotate_refresh,
)
from registry.users import LoginFailed, LoginLocked, authenticate, locked_until, record_failure

router = APIRouter(prefix=f"{V1}/auth", tags=["auth"])
# A client address may fail this many times the per-user limit before it is locked out too.
IP_FACTOR = 4


def _pair(context: ContextDep, session: SessionDep, user: User, refresh: str) -> TokenPair:
    settings = context.settings
    access = access_tokens.issue(
        context.signing_key, user.id, context.clock(), settings.access_token_ttl_s
    )
    return TokenPair(
        access_token=access, expires_in=settings.access_token_ttl_s, refresh_token=refresh
    )


def _locked(until_iso: str) -> ProblemError:
    return ProblemError(
        ProblemType.LOCKED_OUT,
        429,
        f"too many failed logins: try again after {until_iso}",
        headers={"Retry-After": "60"},
        locked_until=until_iso,
    )


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Log in with user name and password",
    responses={429: {"model": Problem, "description": "Locked out after repeated failures."}},
)
def login(
    body: LoginRequest, request: Request, context: ContextDep, session: SessionDep, now: NowDep
) -> TokenPair:
    settings = context.settings
    ip_key = f"ip:{request.client.host if request.client else 'unknown'}"
    ip_until = locked_until(session, ip_key, now)
    if ip_until is not None:
        raise _locked(ip_until.isoformat())
    try:
        user = authenticate(
            session,
            body.username,
            body.password,
            now,
            max_failures=settings.login_max_failures,
            lockout_s=settings.login_lockout_s,
        )
    except LoginLocked as exc:
        session.commit()
        raise _locked(exc.until.isoformat()) from None
    except LoginFailed:
        record_failure(
            session, ip_key, now, settings.login_max_failures * IP_FACTOR, settings.login_lockout_s
        )
        session.commit()
        raise ProblemError(ProblemType.LOGIN_FAILED, 401, "wrong user name or password") from None
    refresh = issue_refresh(session, user, now, settings.refresh_token_ttl_s)
    session.commit()
    return _pair(context, session, user, refresh)


@router.post("/refresh", response_model=TokenPair, summary="Trade a refresh token for a new pair")
def refresh(
    body: RefreshRequest, context: ContextDep, session: SessionDep, now: NowDep
) -> TokenPair:
    try:
        user, new_refresh = rotate_refresh(
            session, body.refresh_token, now, context.settings.refresh_token_ttl_s
        )
    except TokenInvalid as exc:
        session.commit()  # a reused token revokes its family: keep that
        raise ProblemError(ProblemType.TOKEN_INVALID, 401, str(exc)) from None
    session.commit()
    return _pair(context, session, user, new_refresh)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke a refresh token and every rotation of its login",
)
def logout(body: RefreshRequest, session: SessionDep, now: NowDep) -> Response:
    if not revoke_refresh(session, body.refresh_token, now):
        raise ProblemError(ProblemType.TOKEN_INVALID, 401, "refresh token unknown")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, summary="Who the token belongs to and what it may do")
def me(principal: PrincipalDep) -> Me:
    return Me(
        id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        district_code=principal.scope.district_code,
        department_id=principal.department_id,
        permissions=principal.permissions,
        via="api_token" if principal.api_token_id else "access_token",
    )


def _token_out(row: ApiToken) -> ApiTokenOut:
    return ApiTokenOut.model_validate(row, from_attributes=True)


@router.get("/tokens", response_model=list[ApiTokenOut], summary="Your API tokens")
def tokens(principal: TokensManager, session: SessionDep) -> list[ApiTokenOut]:
    return [_token_out(row) for row in list_api_tokens(session, principal.user_id)]


@router.post(
    "/tokens",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token for an integration (shown once)",
)
def create_token(
    body: ApiTokenCreate, principal: TokensManager, session: SessionDep, now: NowDep
) -> ApiTokenCreated:
    if principal.api_token_id is not None:
        raise ProblemError(
            ProblemType.FORBIDDEN, 403, "an API token cannot create API tokens; log in"
        )
    too_much = sorted(s.value for s in body.scopes if not principal.may(s))
    if too_much:
        raise ProblemError(
            ProblemType.FORBIDDEN,
            403,
            f"role {principal.role} may not grant {', '.join(too_much)}",
        )
    user = session.get(User, principal.user_id)
    assert user is not None
    expires = now + timedelta(days=body.ttl_days) if body.ttl_days else None
    row, token = create_api_token(session, user, body.name, body.scopes, now, expires)
    session.commit()
    return ApiTokenCreated(**_token_out(row).model_dump(), token=token)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke one of your API tokens",
)
def delete_token(
    token_id: str, principal: TokensManager, session: SessionDep, now: NowDep
) -> Response:
    if not revoke_api_token(session, principal.user_id, token_id, now):
        raise not_found("API token")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
