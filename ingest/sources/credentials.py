"""Camera credentials, kept apart from URLs so that a URL can always be logged."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import SecretStr

from config.logging import scrub
from config.redact import redact_url


@dataclass(frozen=True, slots=True)
class Credentials:
    """A camera's user name and password, as the registry stores them (never in the URL)."""

    username: str
    password: SecretStr

    def __post_init__(self) -> None:
        if not self.username:
            raise ValueError("credentials need a user name")

    @classmethod
    def of(cls, username: str, password: str) -> Credentials:
        return cls(username, SecretStr(password))

    def __repr__(self) -> str:
        return "Credentials(username=***, password=***)"

    __str__ = __repr__


def describe_url(url: str) -> str:
    """The URL as it may appear in logs and errors: user info and key=value secrets masked."""
    return scrub(redact_url(url))


def require_bare_url(url: str, schemes: tuple[str, ...]) -> str:
    """Check that `url` has one of `schemes`, a host, and no credentials in it."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"invalid camera URL {describe_url(url)!r}: {exc}") from None
    if parts.scheme.lower() not in schemes:
        raise ValueError(
            f"camera URL {describe_url(url)!r} must start with one of {', '.join(schemes)}"
        )
    if not parts.hostname:
        raise ValueError(f"camera URL {describe_url(url)!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"camera URL {describe_url(url)!r} carries credentials: pass them as Credentials"
        )
    return url


def with_userinfo(url: str, credentials: Credentials | None) -> str:
    """`url` with percent-encoded credentials in its authority, for libraries that only take that.

    The result holds the password: hand it to the library and never log or keep it.
    """
    if credentials is None:
        return url
    parts = urlsplit(url)
    userinfo = (
        f"{quote(credentials.username, safe='')}:"
        f"{quote(credentials.password.get_secret_value(), safe='')}"
    )
    return urlunsplit(
        (parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment)
    )
