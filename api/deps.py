"""Dependencies every router uses, as `Annotated` aliases.

Authentication, the district scope and permission checks happen here and only here:
a route names the permission it needs (`Allowed(Permission.X)`) and gets a `Principal`
whose `scope` every query of that route must use.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from api.auth.authenticate import principal_from_token
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.context import AppContext
from api.problems import ProblemError, ProblemType, unauthenticated
from config.settings import Settings


def get_context(connection: HTTPConnection) -> AppContext:
    context = connection.app.state.context
    assert isinstance(context, AppContext)
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings(context: ContextDep) -> Settings:
    return context.settings


def get_now(context: ContextDep) -> datetime:
    return context.clock()


def get_session(context: ContextDep) -> Iterator[Session]:
    """A session per request; routes commit what they change, the rest is rolled back."""
    with context.factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="An access token (JWT) or an API token.")


def get_principal(
    context: ContextDep,
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthenticated("send `Authorization: Bearer <token>`; get one at /api/v1/auth/login")
    return principal_from_token(session, context.signing_key, credentials.credentials, now)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Allowed:
    """Dependency: the caller, provided their role (and token) grant `needed`; else 403."""

    def __init__(self, needed: Permission) -> None:
        self.needed = needed

    def __call__(self, principal: PrincipalDep) -> Principal:
        if not principal.may(self.needed):
            raise ProblemError(
                ProblemType.FORBIDDEN,
                403,
                f"needs permission {self.needed.value}, which role {principal.role}"
                + (" or this API token" if principal.token_scopes is not None else "")
                + " does not have",
            )
        return principal


def _may(needed: Permission) -> object:
    return Depends(Allowed(needed))


DistrictsReader = Annotated[Principal, _may(Permission.DISTRICTS_READ)]
CamerasReader = Annotated[Principal, _may(Permission.CAMERAS_READ)]
CamerasWriter = Annotated[Principal, _may(Permission.CAMERAS_WRITE)]
HealthReader = Annotated[Principal, _may(Permission.HEALTH_READ)]
SnapshotsReader = Annotated[Principal, _may(Permission.SNAPSHOTS_READ)]
DepartmentsReader = Annotated[Principal, _may(Permission.DEPARTMENTS_READ)]
DepartmentsWriter = Annotated[Principal, _may(Permission.DEPARTMENTS_WRITE)]
TokensManager = Annotated[Principal, _may(Permission.TOKENS_MANAGE)]
UsersAdmin = Annotated[Principal, _may(Permission.USERS_ADMIN)]
MetricsReader = Annotated[Principal, _may(Permission.METRICS_READ)]
AlertsReader = Annotated[Principal, _may(Permission.ALERTS_READ)]
AlertsActor = Annotated[Principal, _may(Permission.ALERTS_ACT)]
SilencesWriter = Annotated[Principal, _may(Permission.SILENCES_WRITE)]
CasesReader = Annotated[Principal, _may(Permission.CASES_READ)]
CasesActor = Annotated[Principal, _may(Permission.CASES_ACT)]
KpisReader = Annotated[Principal, _may(Permission.KPIS_READ)]
