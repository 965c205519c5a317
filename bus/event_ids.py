"""Event ids: 26 characters of Crockford base32, sortable by time (ULID layout).

    48 bits  milliseconds since the Unix epoch (the injected clock's, not the wall's)
    32 bits  hash of the worker id
    48 bits  the worker's event sequence number

No randomness: (worker, seq) is unique per worker because `seq` is persisted, so the
id is unique without a random source and a test can predict it. Ids of one
millisecond sort by worker, then by seq.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EVENT_ID_LENGTH = 26
_EVENT_ID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
_MS_BITS, _WORKER_BITS, _SEQ_BITS = 48, 32, 48


def _worker_hash(worker_id: str) -> int:
    digest = hashlib.blake2b(worker_id.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big")


def _base32(value: int) -> str:
    chars = []
    for _ in range(EVENT_ID_LENGTH):
        chars.append(ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def make_event_id(at: datetime, worker_id: str, seq: int) -> str:
    """The id of event number `seq` of `worker_id`, stamped at `at` (timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("event ids need a timezone-aware time")
    ms = int(at.timestamp() * 1000)
    if not 0 <= ms < 1 << _MS_BITS:
        raise ValueError(f"time {at.isoformat()} is outside the event id range")
    if not 0 <= seq < 1 << _SEQ_BITS:
        raise ValueError(f"seq {seq} is outside the event id range")
    value = (ms << (_WORKER_BITS + _SEQ_BITS)) | (_worker_hash(worker_id) << _SEQ_BITS) | seq
    return _base32(value)


def is_event_id(text: str) -> bool:
    return bool(_EVENT_ID.match(text))


def event_id_ms(event_id: str) -> int:
    """Milliseconds since the epoch encoded in an event id."""
    value = 0
    for char in event_id:
        value = (value << 5) | ALPHABET.index(char)
    return value >> (_WORKER_BITS + _SEQ_BITS)
