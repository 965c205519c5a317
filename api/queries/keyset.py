"""Opaque cursors for keyset pagination: the sort key of the last row a page showed.

A cursor is URL-safe base64 of a small JSON list; the next page starts strictly after
that key, so rows inserted meanwhile never shift a page (no duplicates, no holes) and
a page costs one index range scan at any depth, unlike OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from api.problems import ProblemError, ProblemType


def encode(*key: Any) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad(kind: str) -> ProblemError:
    return ProblemError(
        ProblemType.BAD_CURSOR,
        422,
        f"the cursor is not one this API gave for {kind}; start again without it",
    )


def decode(cursor: str, kind: str, shape: tuple[type, ...]) -> tuple[Any, ...]:
    """The key of `cursor`, each part converted to the type of `shape` (datetime from ISO)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad(kind) from None
    if not isinstance(values, list) or len(values) != len(shape):
        raise _bad(kind)
    out: list[Any] = []
    for value, wanted in zip(values, shape, strict=True):
        if wanted is datetime:
            try:
                parsed = datetime.fromisoformat(str(value))
            except ValueError:
                raise _bad(kind) from None
            if parsed.tzinfo is None:
                raise _bad(kind)
            out.append(parsed)
        elif (wanted is int and type(value) is int and abs(value) < 2**62) or (
            wanted is str and isinstance(value, str) and "\x00" not in value
        ):
            out.append(value)
        else:
            raise _bad(kind)
    return tuple(out)
