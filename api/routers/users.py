"""Users of the administrator's own subtree: list, create, disable, reset passwords."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select

from api.auth.principal import Principal
from api.deps import NowDep, SessionDep, UsersAdmin
from api.problems import ProblemError, ProblemType, not_found
from api.routers import V1
from api.schemas.users import UserCreate, UserOut, UserUpdate
from registry.auth_tables import User
from registry.models import District
from registry.users import UserInvalid, create_user, list_users, set_disabled, set_password

UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The user's id.")]
router = APIRouter(prefix=f"{V1}/users", tags=["users"])


def _in_scope_user(session: SessionDep, principal: Principal, user_id: int) -> User:
    found = session.execute(
        select(User, District.path)
        .join(District, User.district_code == District.code)
        .where(User.id == user_id)
    ).first()
    if found is None or not principal.scope.contains(found[1]):
        raise not_found("user")
    user: User = found[0]
    return user


@router.get("", response_model=list[UserOut], summary="Users of your subtree")
def users(principal: UsersAdmin, session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in list_users(session, principal.scope.path)]


@router.get("/{user_id}", response_model=UserOut, summary="One user")
def user(user_id: UserId, principal: UsersAdmin, session: SessionDep) -> UserOut:
    return UserOut.model_validate(_in_scope_user(session, principal, user_id))


@router.post(
    "", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Create a user"
)
def add_user(body: UserCreate, principal: UsersAdmin, session: SessionDep, now: NowDep) -> UserOut:
    path = session.scalar(select(District.path).where(District.code == body.district_code))
    if path is None or not principal.scope.contains(path):
        raise ProblemError(
            ProblemType.VALIDATION,
            422,
            f"district {body.district_code} is not in your subtree",
        )
    try:
        created = create_user(
            session,
            body.username,
            body.password,
            body.role,
            body.district_code,
            department_id=body.department_id,
            display_name=body.display_name,
            now=now,
        )
    except UserInvalid as exc:
        kind = ProblemType.CONFLICT if "already exists" in str(exc) else ProblemType.VALIDATION
        raise ProblemError(kind, 409 if kind is ProblemType.CONFLICT else 422, str(exc)) from None
    session.commit()
    return UserOut.model_validate(created)


@router.patch("/{user_id}", response_model=UserOut, summary="Disable, re-enable, reset or re-role")
def change_user(
    user_id: UserId, body: UserUpdate, principal: UsersAdmin, session: SessionDep, now: NowDep
) -> UserOut:
    target = _in_scope_user(session, principal, user_id)
    if target.id == principal.user_id and (body.disabled or body.role not in (None, target.role)):
        raise ProblemError(
            ProblemType.CONFLICT, 409, "you cannot disable yourself or change your own role"
        )
    try:
        if body.password is not None:
            set_password(session, target.username, body.password, now)
        if body.disabled is not None:
            set_disabled(session, target.username, body.disabled, now)
    except UserInvalid as exc:
        raise ProblemError(ProblemType.VALIDATION, 422, str(exc)) from None
    if body.role is not None:
        target.role = body.role.value
    if body.display_name is not None:
        target.display_name = body.display_name
    session.commit()
    return UserOut.model_validate(target)
