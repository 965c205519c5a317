"""Departments: who handles which categories of case in a district."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DepartmentOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "qb-urban",
                    "name": "桥北镇城管",
                    "district_code": "150402001",
                    "categories": ["roads", "stalls"],
                }
            ]
        },
    )

    id: str
    name: str
    district_code: str
    categories: list[str]


class DepartmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "桥北镇城管", "district_code": "150402001", "categories": ["roads"]}
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    district_code: str = Field(min_length=1, max_length=24)
    categories: list[str] = Field(default_factory=list, max_length=50)
