"""From a bearer token to a `Principal`: a JWT access token or an API token (`gwa_…`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from api.auth import access_tokens
from api.auth.principal import Principal, Scope
from api.problems import unauthenticated
from registry.auth_tables import User
from registry.models import District
from registry.tokens import API_PREFIX, TokenInvalid, resolve_api_token


def principal_of(
    session: Session,
    user: User,
    token_scopes: frozenset[str] | None = None,
    api_token_id: str | None = None,
) -> Principal:
    district = session.get(District, user.district_code)
    if district is None:  # the FK forbids it; a broken row must not widen anyone's view
        raise unauthenticated("your district no longer exists; ask an administrator")
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        department_id=user.department_id,
        scope=Scope(district.code, district.path),
        token_scopes=token_scopes,
        api_token_id=api_token_id,
    )


def principal_from_token(session: Session, key: bytes, token: str, now: datetime) -> Principal:
    if token.startswith(API_PREFIX):
        try:
            row, user = resolve_api_token(session, token, now)
        except TokenInvalid as exc:
            raise unauthenticated(str(exc)) from None
        session.commit()  # last_used_at
        return principal_of(session, user, frozenset(row.scopes), row.id)
    try:
        claims = access_tokens.verify(key, token, now)
    except access_tokens.AccessTokenInvalid as exc:
        raise unauthenticated(str(exc)) from None
    holder = session.get(User, claims.user_id)
    if holder is None or holder.disabled or claims.issued_at < holder.tokens_valid_after:
        raise unauthenticated("access token no longer valid: log in again")
    return principal_of(session, holder)
