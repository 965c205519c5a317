"""Scripted camera faults: what goes wrong, for which cameras, and when.

A rule targets one camera (`camera`) or every camera of a district subtree
(`district`, a district-code prefix). Times are seconds after simulator start;
`end` is exclusive and open when absent. Rules come from a YAML/JSON schedule
file or from the control API; both use the same mapping form, parsed here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml


class FaultKind(StrEnum):
    OFFLINE = "offline"
    SLOW = "slow"
    AUTH = "auth"
    HTTP_ERROR = "http_error"
    FROZEN = "frozen"
    BLACK = "black"
    BLURRED = "blurred"
    COVERED = "covered"
    MOVED = "moved"
    COLOR_CAST = "color_cast"
    NOISE = "noise"


class OfflineMode(StrEnum):
    RESET = "reset"  # TCP reset as soon as the request arrives
    CLOSE = "close"  # orderly close without a response
    HANG = "hang"  # accept, then never answer


IMAGE_KINDS = frozenset(
    {
        FaultKind.FROZEN,
        FaultKind.BLACK,
        FaultKind.BLURRED,
        FaultKind.COVERED,
        FaultKind.MOVED,
        FaultKind.COLOR_CAST,
        FaultKind.NOISE,
    }
)
# Faults that repaint the picture (frozen only changes which picture is shown).
PAINTED_KINDS = IMAGE_KINDS - {FaultKind.FROZEN}
SIDES = ("left", "right", "top", "bottom", "top-left", "bottom-right")


class FaultSpecError(ValueError):
    """A fault rule that cannot be understood; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: FaultKind
    camera: str | None = None
    district: str | None = None
    start_s: float = 0.0
    end_s: float | None = None
    # slow
    delay_s: float = 2.0
    # offline
    mode: OfflineMode = OfflineMode.RESET
    # blurred (Gaussian sigma in pixels at 1280 wide) and noise (levels)
    sigma: float = 6.0
    # covered
    fraction: float = 1.0
    opacity: float = 1.0
    side: str = "left"
    # moved: shift in fractions of width/height, rotation in degrees
    dx: float = 0.12
    dy: float = 0.0
    degrees: float = 4.0
    # color_cast: gains applied to B, G, R
    gains: tuple[float, float, float] = (1.0, 0.75, 1.5)

    def applies_to(self, camera_id: str, district_code: str) -> bool:
        if self.camera is not None:
            return self.camera == camera_id
        return self.district is not None and district_code.startswith(self.district)

    def active_at(self, elapsed_s: float) -> bool:
        return self.start_s <= elapsed_s and (self.end_s is None or elapsed_s < self.end_s)

    def image_key(self) -> tuple[object, ...]:
        """What the rendered picture depends on: two rules with one key share their images."""
        kind = self.kind
        if kind is FaultKind.BLURRED or kind is FaultKind.NOISE:
            return (kind, self.sigma)
        if kind is FaultKind.COVERED:
            return (kind, self.fraction, self.opacity, self.side)
        if kind is FaultKind.MOVED:
            return (kind, self.dx, self.dy, self.degrees)
        if kind is FaultKind.COLOR_CAST:
            return (kind, self.gains)
        return (kind,)

    def to_json(self) -> dict[str, Any]:
        """The mapping form `parse_rule` reads, with only the fields this kind uses."""
        out: dict[str, Any] = {"kind": str(self.kind), "start": self.start_s, "end": self.end_s}
        if self.camera is not None:
            out["camera"] = self.camera
        if self.district is not None:
            out["district"] = self.district
        for name in _PARAMETERS.get(self.kind, ()):
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = str(value)
            out[name] = value
        return out


_PARAMETERS: dict[FaultKind, tuple[str, ...]] = {
    FaultKind.SLOW: ("delay_s",),
    FaultKind.OFFLINE: ("mode",),
    FaultKind.BLURRED: ("sigma",),
    FaultKind.NOISE: ("sigma",),
    FaultKind.COVERED: ("fraction", "opacity", "side"),
    FaultKind.MOVED: ("dx", "dy", "degrees"),
    FaultKind.COLOR_CAST: ("gains",),
}
_FLOAT_FIELDS = ("delay_s", "sigma", "fraction", "opacity", "dx", "dy", "degrees")
_KNOWN = {"kind", "camera", "district", "start", "end", "mode", "side", "gains", *_FLOAT_FIELDS}


def _number(raw: Mapping[str, Any], name: str, where: str) -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultSpecError(f"{where}: `{name}` must be a number, got {value!r}")
    return float(value)


def _target(raw: Mapping[str, Any], where: str) -> tuple[str | None, str | None]:
    camera, district = raw.get("camera"), raw.get("district")
    if (camera is None) == (district is None):
        raise FaultSpecError(f"{where}: give exactly one of `camera` or `district`")
    for name, value in (("camera", camera), ("district", district)):
        if value is not None and (not isinstance(value, str | int) or not str(value).strip()):
            raise FaultSpecError(f"{where}: `{name}` must be a non-empty id or code")
    return (
        str(camera).strip() if camera is not None else None,
        str(district).strip() if district is not None else None,
    )


def parse_rule(raw: object, where: str = "fault") -> FaultRule:
    """One rule from its mapping form; raises FaultSpecError naming the bad field."""
    if not isinstance(raw, Mapping):
        raise FaultSpecError(f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise FaultSpecError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    try:
        kind = FaultKind(str(raw.get("kind")))
    except ValueError:
        choices = ", ".join(k.value for k in FaultKind)
        raise FaultSpecError(f"{where}: `kind` must be one of {choices}") from None
    camera, district = _target(raw, where)
    start = _number(raw, "start", where) or 0.0
    end = _number(raw, "end", where)
    if start < 0 or (end is not None and end <= start):
        raise FaultSpecError(f"{where}: need 0 <= start < end (got start={start}, end={end})")
    values: dict[str, Any] = {}
    for name in _FLOAT_FIELDS:
        number = _number(raw, name, where)
        if number is not None:
            values[name] = number
    if values.get("delay_s", 0.0) < 0 or values.get("sigma", 1.0) <= 0:
        raise FaultSpecError(f"{where}: `delay_s` must be >= 0 and `sigma` > 0")
    for name in ("fraction", "opacity"):
        if not 0.0 <= values.get(name, 1.0) <= 1.0:
            raise FaultSpecError(f"{where}: `{name}` must be within 0..1")
    if "mode" in raw:
        try:
            values["mode"] = OfflineMode(str(raw["mode"]))
        except ValueError:
            modes = ", ".join(m.value for m in OfflineMode)
            raise FaultSpecError(f"{where}: `mode` must be one of {modes}") from None
    if "side" in raw:
        if raw["side"] not in SIDES:
            raise FaultSpecError(f"{where}: `side` must be one of {', '.join(SIDES)}")
        values["side"] = str(raw["side"])
    if "gains" in raw:
        gains = raw["gains"]
        if (
            not isinstance(gains, Sequence)
            or len(gains) != 3
            or not all(isinstance(g, int | float) and g >= 0 for g in gains)
        ):
            raise FaultSpecError(f"{where}: `gains` must be three non-negative numbers (B, G, R)")
        values["gains"] = (float(gains[0]), float(gains[1]), float(gains[2]))
    return FaultRule(
        kind=kind, camera=camera, district=district, start_s=start, end_s=end, **values
    )


def parse_rules(document: object, where: str = "faults") -> list[FaultRule]:
    """Rules from `{"faults": [...]}`, a bare list, or a single rule mapping."""
    if isinstance(document, Mapping) and "faults" in document:
        document = document["faults"]
    if isinstance(document, Mapping):
        return [parse_rule(document, where)]
    if not isinstance(document, list):
        raise FaultSpecError(f"{where}: expected a list of rules or {{'faults': [...]}}")
    return [parse_rule(item, f"{where}[{index}]") for index, item in enumerate(document)]


def load_schedule(path: Path) -> list[FaultRule]:
    """Rules from a YAML (or JSON, which YAML reads too) schedule file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FaultSpecError(f"cannot read fault schedule {path}: {exc.strerror}") from exc
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise FaultSpecError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}"
        ) from exc
    if document is None:
        return []
    return parse_rules(document, where=path.name)
