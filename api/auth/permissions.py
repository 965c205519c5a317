"""What each role may do, in one table. API tokens carry a subset of their owner's.

Where a user may do it is not here: that is always their district subtree (`api.auth.scope`).
"""

from __future__ import annotations

from enum import StrEnum

from registry.auth_tables import Role


class Permission(StrEnum):
    DISTRICTS_READ = "districts:read"
    CAMERAS_READ = "cameras:read"
    CAMERAS_WRITE = "cameras:write"
    HEALTH_READ = "health:read"
    SNAPSHOTS_READ = "snapshots:read"
    DEPARTMENTS_READ = "departments:read"
    DEPARTMENTS_WRITE = "departments:write"
    FEED_READ = "feed:read"
    METRICS_READ = "metrics:read"
    TOKENS_MANAGE = "tokens:manage"
    USERS_ADMIN = "users:admin"


READ = frozenset(
    {
        Permission.DISTRICTS_READ,
        Permission.CAMERAS_READ,
        Permission.HEALTH_READ,
        Permission.SNAPSHOTS_READ,
        Permission.DEPARTMENTS_READ,
        Permission.FEED_READ,
    }
)
# Metrics cover the whole fleet, not a subtree: administrators (and their API tokens) only.

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MAINTAINER: READ | {Permission.CAMERAS_WRITE, Permission.TOKENS_MANAGE},
    Role.OPERATOR: READ | {Permission.TOKENS_MANAGE},
    Role.HANDLER: READ | {Permission.TOKENS_MANAGE},
    Role.VIEWER: READ,
}


def allowed(role: str, scopes: frozenset[str] | None, needed: Permission) -> bool:
    """Whether a user of `role`, through a token limited to `scopes` (None: a login), may."""
    try:
        granted = ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
    return needed in granted and (scopes is None or needed.value in scopes)
