"""SQLAlchemy 2.0 models of the registry. The annotations drive nullability."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes only; a naive datetime is a bug and is rejected."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back naive values; they were stored as UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Byte-wise ordering on PostgreSQL so range scans over materialized paths use the index.
PathString = String(400).with_variant(String(400, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class District(Base):
    """A node of the district tree. `path` is the materialized path of codes, `/`-terminated."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(
        String(24), ForeignKey("districts.code", ondelete="RESTRICT")
    )
    path: Mapped[str] = mapped_column(PathString, unique=True)

    parent: Mapped[District | None] = relationship(remote_side=[code])

    __table_args__ = (Index("ix_districts_parent_code", "parent_code"),)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(24), ForeignKey("districts.code"))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)

    district: Mapped[District] = relationship()


class Camera(Base):
    """A camera endpoint. URLs carry no credentials; those live in `camera_credentials`."""

    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(24), ForeignKey("districts.code"))
    device_type: Mapped[str | None] = mapped_column(String(3))
    main_url: Mapped[str | None] = mapped_column(Text)
    sub_url: Mapped[str | None] = mapped_column(Text)
    snapshot_url: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    use: Mapped[str] = mapped_column(String(32), default="public_security")
    owner_department_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("departments.id", ondelete="SET NULL")
    )
    maintainer: Mapped[str | None] = mapped_column(String(200))
    uplink: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District] = relationship()
    credential: Mapped[CameraCredential | None] = relationship(
        back_populates="camera", cascade="all, delete-orphan", uselist=False
    )

    __table_args__ = (
        Index("ix_cameras_district_code", "district_code"),
        Index("ix_cameras_uplink", "uplink"),
    )


class CameraCredential(Base):
    """Stored apart from the camera so no query of cameras can carry them out by accident."""

    __tablename__ = "camera_credentials"

    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(200))
    # Fernet token of the password (registry.secrets); never the password itself.
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    # Only rows written before migration 0006, until the first start seals them.
    password: Mapped[str | None] = mapped_column(String(200))

    camera: Mapped[Camera] = relationship(back_populates="credential")

    def __repr__(self) -> str:
        return f"CameraCredential(camera_id={self.camera_id!r}, username=***, password=***)"
