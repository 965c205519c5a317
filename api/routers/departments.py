"""Departments of the caller's subtree; administrators add and change them."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from api.auth.principal import Scope
from api.deps import ContextDep, DepartmentsReader, DepartmentsWriter, SessionDep
from api.problems import ProblemError, ProblemType, not_found
from api.queries.districts import district_path_in_scope
from api.routers import V1
from api.routers.cameras import import_failed
from api.schemas.departments import DepartmentIn, DepartmentOut
from registry.importer import ImportFailed, import_departments
from registry.models import Department, District
from registry.records import Record

router = APIRouter(prefix=f"{V1}/departments", tags=["departments"])


def _in_scope(session: SessionDep, scope: Scope, department_id: str) -> Department | None:
    return session.scalar(
        select(Department)
        .join(District, Department.district_code == District.code)
        .where(Department.id == department_id, scope.covers(District.path))
    )


@router.get("", response_model=list[DepartmentOut], summary="Departments of your subtree")
def departments(principal: DepartmentsReader, session: SessionDep) -> list[DepartmentOut]:
    rows = session.scalars(
        select(Department)
        .join(District, Department.district_code == District.code)
        .where(principal.scope.covers(District.path))
        .order_by(District.path, Department.id)
    ).all()
    return [DepartmentOut.model_validate(row) for row in rows]


@router.get("/{department_id}", response_model=DepartmentOut, summary="One department")
def department(
    department_id: str, principal: DepartmentsReader, session: SessionDep
) -> DepartmentOut:
    row = _in_scope(session, principal.scope, department_id)
    if row is None:
        raise not_found("department")
    return DepartmentOut.model_validate(row)


@router.put(
    "/{department_id}",
    response_model=DepartmentOut,
    summary="Create or replace a department (same rules as the import)",
    responses={201: {"model": DepartmentOut, "description": "Created."}},
)
def put_department(
    department_id: str,
    body: DepartmentIn,
    principal: DepartmentsWriter,
    session: SessionDep,
    context: ContextDep,
    response: Response,
) -> DepartmentOut:
    existing = session.get(Department, department_id)
    if existing is not None and _in_scope(session, principal.scope, department_id) is None:
        raise ProblemError(ProblemType.CONFLICT, 409, f"department id {department_id} is taken")
    if district_path_in_scope(session, principal.scope, body.district_code) is None:
        raise ProblemError(
            ProblemType.VALIDATION, 422, f"district {body.district_code} is not in your subtree"
        )
    session.rollback()
    record = Record(1, {"id": department_id, **body.model_dump()})
    try:
        import_departments(context.factory, [record])
    except ImportFailed as exc:
        raise import_failed(exc) from None
    if existing is None:
        response.status_code = status.HTTP_201_CREATED
    row = session.get(Department, department_id)
    assert row is not None
    return DepartmentOut.model_validate(row)
