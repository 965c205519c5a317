"""Logging setup: text or JSON lines on stderr, with credentials scrubbed from every record."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

from config.redact import MASK

# user:password@ in any URL-looking text, and key=value style secrets.
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]*(:[^/@\s]*)?@")
_KEY_VALUE = re.compile(r"(?i)\b(password|passwd|pwd|secret|token)\s*[=:]\s*\S+")


def scrub(text: str) -> str:
    """Remove anything that looks like a credential from free text."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    return _KEY_VALUE.sub(lambda m: f"{m.group(1)}={MASK}", text)


class ScrubbingFilter(logging.Filter):
    """Formats each record's message once and scrubs it, so no handler can leak a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


# The ids a person searches logs by. Each comes from the process (`bind_log_fields`), the
# task or request in hand (`log_fields`), or a record's own `extra`.
SEARCH_FIELDS = ("worker_id", "camera_id", "request_id", "user", "alert_id", "case_id")
_process_fields: dict[str, str] = {}
_task_fields: ContextVar[Mapping[str, str]] = ContextVar(
    "gridwatch_log_fields", default=MappingProxyType({})
)


def bind_log_fields(**fields: str) -> None:
    """Fields every record of this process carries (e.g. the worker id), in every thread."""
    _process_fields.update(fields)


@contextmanager
def log_fields(**fields: str) -> Iterator[None]:
    """Fields the records of this task or request carry (asyncio tasks inherit them)."""
    token = _task_fields.set({**_task_fields.get(), **fields})
    try:
        yield
    finally:
        _task_fields.reset(token)


def search_fields(record: logging.LogRecord) -> dict[str, str]:
    found = {**_process_fields, **_task_fields.get()}
    for name in SEARCH_FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            found[name] = str(value)
    return {name: found[name] for name in SEARCH_FIELDS if name in found}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **search_fields(record),
        }
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return scrub(super().formatException(ei))

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = search_fields(record)
        return text + "".join(f" {k}={v}" for k, v in fields.items()) if fields else text


def setup_logging(
    level: str = "INFO", *, json_lines: bool = False, stream: TextIO | None = None
) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ScrubbingFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic announces every migration context at INFO; that is noise on each command.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
