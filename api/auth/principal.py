"""The authenticated caller: who they are, what they may do, which subtree they see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import InstrumentedAttribute

from api.auth.permissions import ROLE_PERMISSIONS, Permission, allowed
from registry.auth_tables import Role
from registry.tree import path_range


@dataclass(frozen=True, slots=True)
class Scope:
    """The district subtree a caller sees: every query filters on `path` with this."""

    district_code: str
    path: str

    @property
    def low(self) -> str:
        return path_range(self.path)[0]

    @property
    def high(self) -> str:
        return path_range(self.path)[1]

    def contains(self, path: str) -> bool:
        return self.low <= path < self.high

    def covers(self, path: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """The SQL condition 'this path column lies in the subtree' (one index range scan)."""
        return and_(path >= self.low, path < self.high)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    department_id: str | None
    scope: Scope
    # None for a login (the role's full permissions); the token's scopes for an API token.
    token_scopes: frozenset[str] | None = None
    api_token_id: str | None = None

    def may(self, needed: Permission) -> bool:
        return allowed(self.role, self.token_scopes, needed)

    @property
    def permissions(self) -> list[Permission]:
        granted = ROLE_PERMISSIONS.get(Role(self.role), frozenset())
        return sorted(p for p in granted if self.may(p))
