"""Short-lived JWT access tokens, HS256 with a key from settings or a key file.

The algorithm is fixed here, never read from the token's header, so a token signed
with `none` or with a public key as an HMAC secret is refused. Expiry is checked
against the injected clock, not the wall clock, so tests run in virtual time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt

from config.settings import Settings
from registry.keyfiles import read_or_create_key

ALGORITHM = "HS256"
SIGNING_KEY_FILE = "api_signing.key"
MIN_KEY_LENGTH = 32


class AccessTokenInvalid(Exception):
    """Malformed, badly signed or expired access token."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    issued_at: datetime
    expires_at: datetime


def signing_key(settings: Settings) -> bytes:
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        key = settings.secret_key.get_secret_value().encode()
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"GRIDWATCH_SECRET_KEY must have at least {MIN_KEY_LENGTH} characters")
        return key
    path = Path(settings.data_dir) / SIGNING_KEY_FILE
    return read_or_create_key(path, lambda: secrets.token_urlsafe(48).encode())


def issue(key: bytes, user_id: int, now: datetime, ttl_s: int) -> str:
    issued = int(now.timestamp())
    claims = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + ttl_s,
        "jti": secrets.token_hex(8),
        "typ": "access",
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify(key: bytes, token: str, now: datetime) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={
                "require": ["sub", "iat", "exp", "typ"],
                "verify_exp": False,  # checked below against the injected clock
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise AccessTokenInvalid(f"access token invalid: {exc}") from None
    if claims.get("typ") != "access":
        raise AccessTokenInvalid("not an access token")
    try:
        user_id = int(claims["sub"])
        issued = datetime.fromtimestamp(int(claims["iat"]), now.tzinfo)
        expires = datetime.fromtimestamp(int(claims["exp"]), now.tzinfo)
    except (TypeError, ValueError):
        raise AccessTokenInvalid("access token claims malformed") from None
    if now >= expires:
        raise AccessTokenInvalid("access token expired: refresh it or log in again")
    if issued > now + timedelta(seconds=60):
        raise AccessTokenInvalid("access token issued in the future")
    return AccessClaims(user_id, issued, expires)
