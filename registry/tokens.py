"""Refresh tokens (rotating, revocable) and API tokens (scoped, revocable), stored hashed.

A token is `<prefix><id>.<secret>`; only SHA-256 of the whole string is stored, so the
table alone lets nobody log in. Refresh tokens rotate: each use gives a new one and
marks the old one used. Presenting a used one again means it was stolen (or replayed),
so its whole family — every rotation since that login — is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.auth_tables import ApiToken, RefreshToken, User

REFRESH_PREFIX = "gwr_"
API_PREFIX = "gwa_"


class TokenInvalid(Exception):
    """Unknown, expired, revoked or reused token, or its user is disabled."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(prefix: str) -> tuple[str, str]:
    token_id = secrets.token_hex(8)
    return token_id, f"{prefix}{token_id}.{secrets.token_urlsafe(32)}"


def _usable(user: User | None, issued: datetime) -> User:
    if user is None or user.disabled or issued < user.tokens_valid_after:
        raise TokenInvalid("token no longer valid")
    return user


def issue_refresh(
    session: Session, user: User, now: datetime, ttl_s: int, family: str | None = None
) -> str:
    token_id, token = _new_token(REFRESH_PREFIX)
    session.add(
        RefreshToken(
            id=token_id,
            token_hash=token_hash(token),
            user_id=user.id,
            family=family or token_id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            used_at=None,
            revoked_at=None,
        )
    )
    session.flush()
    return token


def _revoke_family(session: Session, family: str, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def rotate_refresh(session: Session, token: str, now: datetime, ttl_s: int) -> tuple[User, str]:
    """The token's user and its successor; the presented token cannot be used again."""
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)).with_for_update()
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise TokenInvalid("refresh token unknown, expired or revoked: log in again")
    if row.used_at is not None:
        _revoke_family(session, row.family, now)
        session.flush()
        raise TokenInvalid("refresh token was already used: every session of it is revoked")
    user = _usable(session.get(User, row.user_id), row.created_at.replace(microsecond=0))
    row.used_at = now
    return user, issue_refresh(session, user, now, ttl_s, family=row.family)


def revoke_refresh(session: Session, token: str, now: datetime) -> bool:
    """Logout: the token and every rotation of its login stop working."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)))
    if row is None:
        return False
    _revoke_family(session, row.family, now)
    return True


def create_api_token(
    session: Session,
    user: User,
    name: str,
    scopes: Sequence[str],
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """The stored row and the token itself, which is shown once and never stored."""
    token_id, token = _new_token(API_PREFIX)
    row = ApiToken(
        id=token_id,
        token_hash=token_hash(token),
        user_id=user.id,
        name=name,
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=expires_at,
        revoked_at=None,
        last_used_at=None,
    )
    session.add(row)
    session.flush()
    return row, token


def resolve_api_token(session: Session, token: str, now: datetime) -> tuple[ApiToken, User]:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        raise TokenInvalid("API token unknown or revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise TokenInvalid("API token expired")
    # An integration's token survives its owner's password reset; disabling the owner stops it.
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise TokenInvalid("API token's owner is disabled")
    row.last_used_at = now
    return row, user


def list_api_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
    ).all()


def revoke_api_token(session: Session, user_id: int, token_id: str, now: datetime) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        return False
    if row.revoked_at is None:
        row.revoked_at = now
    return True
