"""What one app instance runs on: settings, sessions, clock, keys. Made by `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from config.settings import Settings
from registry.db import SessionFactory

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    factory: SessionFactory
    clock: Clock
    signing_key: bytes = field(repr=False)
