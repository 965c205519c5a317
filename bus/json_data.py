"""Checks for the free-form `data` of events and status messages: JSON only, no secrets.

Camera URLs carry passwords (`rtsp://admin:pw@...`); an analysis step that copies a
URL or an error text into an event must not put it on the bus, where every consumer
and log would see it. So credential-looking text is refused, not silently masked:
the producer has a bug to fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeAlias

from config.logging import scrub

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]

MAX_DEPTH = 8
MAX_ITEMS = 4096
SECRET_KEYS = frozenset({"password", "passwd", "pwd", "secret", "token", "credentials"})


class BadJsonData(ValueError):
    """Data that is not plain JSON (non-string keys, NaN, objects, too deep or too big)."""


class CredentialsInData(ValueError):
    """Data holding something that looks like a credential. The message never repeats it."""


def reject_credentials(where: str, text: str) -> None:
    """Raise `CredentialsInData` if `text` holds a URL with user info or a `password=` pair."""
    if scrub(text) != text:
        raise CredentialsInData(f"{where} looks like it holds credentials; send it redacted")


def check_json_data(data: Mapping[str, Any]) -> JsonObject:
    """A plain, deep copy of `data` (tuples become lists) after checking it is safe JSON."""
    if not isinstance(data, Mapping):
        raise BadJsonData(f"data must be a JSON object, not {type(data).__name__}")
    budget = [MAX_ITEMS]
    copied = _copy(data, "data", 0, budget)
    assert isinstance(copied, dict)
    return copied


def _copy(value: Any, where: str, depth: int, budget: list[int]) -> JsonValue:
    budget[0] -= 1
    if budget[0] < 0:
        raise BadJsonData(f"data has more than {MAX_ITEMS} values")
    if depth > MAX_DEPTH:
        raise BadJsonData(f"{where} is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | int):
        return value  # type: ignore[no-any-return]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadJsonData(f"{where} is {value}, which JSON cannot carry")
        return value
    if isinstance(value, str):
        reject_credentials(where, value)
        return value
    if isinstance(value, Mapping):
        copied: JsonObject = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadJsonData(f"{where} has a non-string key of type {type(key).__name__}")
            if key.lower() in SECRET_KEYS:
                raise CredentialsInData(f"{where}.{key} is a credential field; leave it out")
            reject_credentials(f"{where} key", key)
            copied[key] = _copy(item, f"{where}.{key}", depth + 1, budget)
        return copied
    if isinstance(value, list | tuple):
        return [_copy(item, f"{where}[{i}]", depth + 1, budget) for i, item in enumerate(value)]
    raise BadJsonData(f"{where} is a {type(value).__name__}, not a JSON value")
