"""The live set of fault rules, and which of them hit one camera at one moment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingest.simulator.faults import IMAGE_KINDS, FaultKind, FaultRule


@dataclass(frozen=True, slots=True)
class ActiveFaults:
    """What a request to one camera must suffer right now."""

    offline: FaultRule | None = None
    refuse_auth: bool = False
    http_error: bool = False
    delay_s: float = 0.0
    image: FaultRule | None = None


HEALTHY = ActiveFaults()


def resolve(rules: Iterable[FaultRule], elapsed_s: float) -> ActiveFaults:
    """Combine the rules of one camera: delays add up, the last image rule listed wins."""
    offline: FaultRule | None = None
    refuse_auth = http_error = False
    delay = 0.0
    image: FaultRule | None = None
    for rule in rules:
        if not rule.active_at(elapsed_s):
            continue
        if rule.kind is FaultKind.OFFLINE:
            offline = offline or rule
        elif rule.kind is FaultKind.AUTH:
            refuse_auth = True
        elif rule.kind is FaultKind.HTTP_ERROR:
            http_error = True
        elif rule.kind is FaultKind.SLOW:
            delay += rule.delay_s
        elif rule.kind in IMAGE_KINDS:
            image = rule
    if offline is None and not refuse_auth and not http_error and delay == 0.0 and image is None:
        return HEALTHY
    return ActiveFaults(offline, refuse_auth, http_error, delay, image)


class FaultBook:
    """Rules by id, indexed by camera and by district prefix for a cheap per-request lookup."""

    def __init__(self) -> None:
        self._rules: dict[int, FaultRule] = {}
        self._next_id = 1
        self._by_camera: dict[str, list[int]] = {}
        self._by_district: dict[int, FaultRule] = {}

    def __len__(self) -> int:
        return len(self._rules)

    def add(self, rules: Iterable[FaultRule]) -> list[int]:
        ids = []
        for rule in rules:
            rule_id = self._next_id
            self._next_id += 1
            self._rules[rule_id] = rule
            if rule.camera is not None:
                self._by_camera.setdefault(rule.camera, []).append(rule_id)
            else:
                self._by_district[rule_id] = rule
            ids.append(rule_id)
        return ids

    def remove(self, rule_id: int) -> bool:
        rule = self._rules.pop(rule_id, None)
        if rule is None:
            return False
        if rule.camera is not None:
            remaining = [i for i in self._by_camera[rule.camera] if i != rule_id]
            if remaining:
                self._by_camera[rule.camera] = remaining
            else:
                del self._by_camera[rule.camera]
        else:
            del self._by_district[rule_id]
        return True

    def clear(self) -> int:
        count = len(self._rules)
        self._rules.clear()
        self._by_camera.clear()
        self._by_district.clear()
        return count

    def items(self) -> list[tuple[int, FaultRule]]:
        return list(self._rules.items())

    def for_camera(self, camera_id: str, district_code: str, elapsed_s: float) -> ActiveFaults:
        if not self._rules:
            return HEALTHY
        matching: list[tuple[int, FaultRule]] = [
            (rule_id, rule)
            for rule_id, rule in self._by_district.items()
            if district_code.startswith(rule.district or "")
        ]
        for rule_id in self._by_camera.get(camera_id, ()):
            matching.append((rule_id, self._rules[rule_id]))
        if not matching:
            return HEALTHY
        matching.sort(key=lambda pair: pair[0])  # in the order they were added
        return resolve((rule for _, rule in matching), elapsed_s)
