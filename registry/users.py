"""Users: Argon2id passwords, creation, disabling, password resets and checked logins.

A login that fails `max_failures` times in a row locks the user name for `lockout_s`
seconds. The count lives in `login_throttle`, so it survives restarts and holds for
every API process at once; a lock-out refuses even the right password until it ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.auth_tables import LoginThrottle, Role, User
from registry.models import Department, District
from registry.tree import path_range

# argon2-cffi's defaults are Argon2id with the RFC 9106 low-memory profile.
_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class UserInvalid(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


class LoginFailed(Exception):
    """Wrong user name or password, or a disabled user (the caller is not told which)."""


class LoginLocked(Exception):
    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed logins: locked until {until.isoformat()}")


@dataclass(frozen=True, slots=True)
class Throttle:
    failures: int
    locked_until: datetime | None


@cache
def _dummy_hash() -> str:
    """Verified when the user name is unknown, so both answers take the same time."""
    return _HASHER.hash("gridwatch-no-such-user")


def void_before(now: datetime) -> datetime:
    """Tokens carry whole seconds (`iat`): void those of earlier seconds."""
    return now.replace(microsecond=0)


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _HASHER.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInvalid(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.strip():
        raise UserInvalid("password must not start or end with spaces")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def after_failure(previous: Throttle, now: datetime, max_failures: int, lockout_s: int) -> Throttle:
    """The throttle state after one more failed login (pure)."""
    failures = previous.failures
    if previous.locked_until is not None and now >= previous.locked_until:
        failures = 0  # the lock-out has been served: count afresh
    failures += 1
    locked = now + timedelta(seconds=lockout_s) if failures >= max_failures else None
    return Throttle(failures, locked)


def locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    row = session.get(LoginThrottle, username)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_failure(
    session: Session, key: str, now: datetime, max_failures: int, lockout_s: int
) -> Throttle:
    """Count one failed login against `key` (a user name, or `ip:<address>`)."""
    row = session.get(LoginThrottle, key, with_for_update=True)
    previous = Throttle(row.failures, row.locked_until) if row else Throttle(0, None)
    state = after_failure(previous, now, max_failures, lockout_s)
    if row is None:
        session.add(
            LoginThrottle(
                username=key,
                failures=state.failures,
                last_failure_at=now,
                locked_until=state.locked_until,
            )
        )
    else:
        row.failures, row.locked_until, row.last_failure_at = (
            state.failures,
            state.locked_until,
            now,
        )
    session.flush()
    return state


def authenticate(
    session: Session,
    username: str,
    password: str,
    now: datetime,
    *,
    max_failures: int,
    lockout_s: int,
) -> User:
    """The user when the password matches; every failure is counted in the database."""
    until = locked_until(session, username, now)
    if until is not None:
        raise LoginLocked(until)
    user = session.scalar(select(User).where(User.username == username))
    matches = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is not None and matches and not user.disabled:
        session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        return user
    state = record_failure(session, username, now, max_failures, lockout_s)
    if state.locked_until is not None:
        raise LoginLocked(state.locked_until)
    raise LoginFailed("wrong user name or password")


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    district_code: str,
    *,
    department_id: str | None = None,
    display_name: str = "",
    now: datetime,
) -> User:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise UserInvalid("user name must be 1 to 64 characters without spaces")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserInvalid(f"user {username!r} already exists")
    if session.get(District, district_code) is None:
        raise UserInvalid(f"district {district_code} is not in the registry")
    if department_id is not None and session.get(Department, department_id) is None:
        raise UserInvalid(f"department {department_id!r} is not in the registry")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=Role(role).value,
        district_code=district_code,
        department_id=department_id,
        disabled=False,
        created_at=now,
        tokens_valid_after=void_before(now),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserInvalid(f"no user {username!r}")
    return user


def set_password(session: Session, username: str, password: str, now: datetime) -> User:
    """A new password; every token issued before now stops working."""
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.tokens_valid_after = void_before(now)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))
    return user


def set_disabled(session: Session, username: str, disabled: bool, now: datetime) -> User:
    user = get_user(session, username)
    user.disabled = disabled
    if disabled:
        user.tokens_valid_after = void_before(now)
    return user


def list_users(session: Session, district_path: str | None = None) -> Sequence[User]:
    stmt = select(User).order_by(User.username)
    if district_path is not None:
        low, high = path_range(district_path)
        stmt = stmt.join(District, User.district_code == District.code).where(
            District.path >= low, District.path < high
        )
    return session.scalars(stmt).all()
