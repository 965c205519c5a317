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
    ALERTS_READ = "alerts:read"
    ALERTS_ACT = "alerts:act"
    SILENCES_WRITE = "silences:write"
    CASES_READ = "cases:read"
    CASES_ACT = "cases:act"
    KPIS_READ = "kpis:read"
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
        Permission.ALERTS_READ,
        Permission.CASES_READ,
        Permission.KPIS_READ,
    }
)
# Metrics cover the whole fleet, not a subtree: administrators (and their API tokens) only.

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Maintainers plan maintenance windows (silences); operators work the alert queue and
    # dispatch cases; handlers act on the cases of their own department (checked per case).
    Role.MAINTAINER: READ
    | {Permission.CAMERAS_WRITE, Permission.SILENCES_WRITE, Permission.TOKENS_MANAGE},
    Role.OPERATOR: READ
    | {
        Permission.ALERTS_ACT,
        Permission.SILENCES_WRITE,
        Permission.CASES_ACT,
        Permission.TOKENS_MANAGE,
    },
    Role.HANDLER: READ | {Permission.CASES_ACT, Permission.TOKENS_MANAGE},
    Role.VIEWER: READ,
}


def allowed(role: str, scopes: frozenset[str] | None, needed: Permission) -> bool:
    """Whether a user of `role`, through a token limited to `scopes` (None: a login), may."""
    try:
        granted = ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
    return needed in granted and (scopes is None or needed.value in scopes)
