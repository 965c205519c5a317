"""What one app instance runs on: settings, sessions, clock, keys. Made by `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from alerts.cases.workflow import Workflow
from config.settings import Settings
from registry.db import SessionFactory
from registry.secrets import CredentialCipher

if TYPE_CHECKING:
    from api.feed_hub import FeedHub
    from api.metrics import ApiMetrics
    from api.snapshots import SnapshotFetcher, SnapshotLimiter

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    factory: SessionFactory
    clock: Clock
    signing_key: bytes = field(repr=False)
    cipher: CredentialCipher = field(repr=False)
    snapshot_limiter: SnapshotLimiter
    snapshot_fetcher: SnapshotFetcher
    metrics: ApiMetrics
    workflow: Workflow
    feed_hub: FeedHub
