"""Validation of import rows: plain mappings in, typed rows or a reason out. No I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from config.redact import split_credentials
from registry.gb28181 import (
    InvalidDeviceCode,
    looks_like_device_code,
    parse_device_code,
    validate_district_code,
)


class RowInvalid(ValueError):
    """A row that cannot be imported; the message says why."""


class CameraUse(StrEnum):
    PUBLIC_SECURITY = "public_security"
    TRAFFIC = "traffic"
    KEY_SITE = "key_site"
    COMMUNITY = "community"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    FOREST_FIRE = "forest_fire"
    BORDER = "border"
    OTHER = "other"


# Labels seen in county inventories, mapped onto our codes.
_USE_ALIASES = {
    "治安": CameraUse.PUBLIC_SECURITY,
    "公安": CameraUse.PUBLIC_SECURITY,
    "交通": CameraUse.TRAFFIC,
    "重点部位": CameraUse.KEY_SITE,
    "重点场所": CameraUse.KEY_SITE,
    "社区": CameraUse.COMMUNITY,
    "学校": CameraUse.SCHOOL,
    "医院": CameraUse.HOSPITAL,
    "森林防火": CameraUse.FOREST_FIRE,
    "边境": CameraUse.BORDER,
    "其他": CameraUse.OTHER,
}
_TRUE = {"1", "true", "yes", "y", "on", "是", "启用"}
_FALSE = {"0", "false", "no", "n", "off", "否", "停用"}
_FREE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
_URL_SCHEMES = {"rtsp", "rtsps", "http", "https"}  # what the sources can open
URL_FIELDS = ("main_url", "sub_url", "snapshot_url")


@dataclass(frozen=True, slots=True)
class DistrictRow:
    code: str
    name: str
    level: int | None
    parent_code: str | None


@dataclass(frozen=True, slots=True)
class CameraRow:
    id: str
    name: str
    district_code: str
    device_type: str | None
    main_url: str | None
    sub_url: str | None
    snapshot_url: str | None
    lat: float | None
    lon: float | None
    use: str
    owner_department_id: str | None
    maintainer: str | None
    uplink: str | None
    tags: tuple[str, ...]
    enabled: bool
    username: str | None
    password: str | None

    def __repr__(self) -> str:
        secret = "***" if self.password is not None else None
        return f"CameraRow(id={self.id!r}, name={self.name!r}, password={secret})"


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    id: str
    name: str
    district_code: str
    categories: tuple[str, ...]


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(raw: Mapping[str, Any], key: str) -> str:
    value = _text(raw, key)
    if value is None:
        raise RowInvalid(f"'{key}' is required")
    return value


def _float(raw: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    text = _text(raw, key)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RowInvalid(f"'{key}' must be a number, got {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise RowInvalid(f"'{key}' must be between {low} and {high}, got {text}")
    return value


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key)
    if isinstance(value, bool):
        return value
    text = _text(raw, key)
    if text is None:
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise RowInvalid(f"'{key}' must be true or false, got {text!r}")


def _list(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else re.split(r"[;|,]", str(value))
    return tuple(sorted({str(item).strip() for item in items if str(item).strip()}))


def _use(raw: Mapping[str, Any]) -> str:
    text = _text(raw, "use")
    if text is None:
        return CameraUse.PUBLIC_SECURITY.value
    if text in _USE_ALIASES:
        return _USE_ALIASES[text].value
    try:
        return CameraUse(text.lower()).value
    except ValueError:
        allowed = ", ".join(u.value for u in CameraUse)
        raise RowInvalid(f"'use' {text!r} is not one of {allowed}") from None


def parse_district(raw: Mapping[str, Any]) -> DistrictRow:
    code = _required(raw, "code")
    reason = validate_district_code(code)
    if reason:
        raise RowInvalid(reason)
    parent = _text(raw, "parent_code")
    if parent is not None:
        reason = validate_district_code(parent)
        if reason:
            raise RowInvalid(f"parent: {reason}")
        if parent == code:
            raise RowInvalid(f"district {code} cannot be its own parent")
    level_text = _text(raw, "level")
    level = None
    if level_text is not None:
        if not level_text.isdigit() or not 1 <= int(level_text) <= 8:
            raise RowInvalid(f"'level' must be a whole number from 1 to 8, got {level_text!r}")
        level = int(level_text)
    return DistrictRow(code=code, name=_required(raw, "name"), level=level, parent_code=parent)


def parse_department(raw: Mapping[str, Any], districts: Collection[str]) -> DepartmentRow:
    dept_id = _required(raw, "id")
    if not _FREE_ID.match(dept_id):
        raise RowInvalid(f"department id {dept_id!r} may hold only letters, digits and _.:-")
    district = _required(raw, "district_code")
    if district not in districts:
        raise RowInvalid(f"district {district} is not in the registry; import districts first")
    return DepartmentRow(
        id=dept_id,
        name=_required(raw, "name"),
        district_code=district,
        categories=_list(raw, "categories"),
    )


def _urls(raw: Mapping[str, Any]) -> tuple[dict[str, str | None], str | None, str | None]:
    """Bare URLs plus the first user name and password found embedded in any of them."""
    urls: dict[str, str | None] = {}
    user: str | None = None
    password: str | None = None
    for key in URL_FIELDS:
        text = _text(raw, key)
        if text is None:
            urls[key] = None
            continue
        try:
            scheme = urlsplit(text).scheme.lower()
            bare, url_user, url_password = split_credentials(text)
        except ValueError:
            raise RowInvalid(f"'{key}' is not a valid URL") from None
        if scheme not in _URL_SCHEMES:
            raise RowInvalid(f"'{key}' scheme {scheme!r} is not one of {sorted(_URL_SCHEMES)}")
        urls[key] = bare
        user = user or url_user
        password = password or url_password
    return urls, user, password


def resolve_camera_district(
    camera_id: str, given: str | None, districts: Collection[str]
) -> tuple[str, str | None]:
    """The camera's district and GB/T 28181 device type (None for a free-form id)."""
    device_type: str | None = None
    candidates: tuple[str, ...] = ()
    if looks_like_device_code(camera_id):
        try:
            code = parse_device_code(camera_id)
        except InvalidDeviceCode as exc:
            raise RowInvalid(str(exc)) from None
        device_type = code.device_type
        candidates = code.district_candidates()
    elif not _FREE_ID.match(camera_id):
        raise RowInvalid(
            f"camera id {camera_id!r} is neither a 20-digit GB/T 28181 code "
            "nor a plain id (letters, digits, _.:-, at most 64)"
        )
    if given is not None:
        if given not in districts:
            raise RowInvalid(f"district {given} is not in the registry; import districts first")
        return given, device_type
    for candidate in candidates:
        if candidate in districts:
            return candidate, device_type
    if candidates:
        raise RowInvalid(
            f"no district given and none of {', '.join(candidates)} "
            f"(from device code digits 1-8) is in the registry"
        )
    raise RowInvalid("'district_code' is required for a camera id that is no GB/T 28181 code")


def parse_camera(
    raw: Mapping[str, Any], districts: Collection[str], departments: Collection[str]
) -> CameraRow:
    camera_id = _required(raw, "id")
    district, device_type = resolve_camera_district(
        camera_id, _text(raw, "district_code"), districts
    )
    urls, url_user, url_password = _urls(raw)
    if not any(urls.values()):
        raise RowInvalid("at least one of main_url, sub_url, snapshot_url is required")
    owner = _text(raw, "owner_department")
    if owner is not None and owner not in departments:
        raise RowInvalid(f"owner_department {owner!r} is not in the registry")
    username = _text(raw, "username") or url_user
    password = _text(raw, "password") or url_password
    if (username is None) != (password is None):
        raise RowInvalid("username and password go together: give both or neither")
    return CameraRow(
        id=camera_id,
        name=_text(raw, "name") or camera_id,
        district_code=district,
        device_type=device_type,
        main_url=urls["main_url"],
        sub_url=urls["sub_url"],
        snapshot_url=urls["snapshot_url"],
        lat=_float(raw, "lat", -90, 90),
        lon=_float(raw, "lon", -180, 180),
        use=_use(raw),
        owner_department_id=owner,
        maintainer=_text(raw, "maintainer"),
        uplink=_text(raw, "uplink"),
        tags=_list(raw, "tags"),
        enabled=_bool(raw, "enabled", default=True),
        username=username,
        password=password,
    )
