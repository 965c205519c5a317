"""A camera's health checker, from its saved baseline when that baseline still loads."""

from __future__ import annotations

import logging
from typing import Any

from ingest.analysis.health import HealthChecker
from ingest.analysis.health_config import HealthConfig

log = logging.getLogger(__name__)


def restore_checker(
    camera_id: str, saved: dict[str, Any] | None, config: HealthConfig
) -> HealthChecker:
    """The checker with its learned baseline; a baseline that cannot be restored (saved by
    another version, damaged) is dropped and relearned, with a warning, never fatal."""
    if not saved:
        return HealthChecker(config)
    try:
        return HealthChecker.from_state(saved, config)
    except Exception as error:
        log.warning(
            "camera %s: saved baseline not restored (%s: %s); relearning it",
            camera_id, type(error).__name__, error,
        )  # fmt: skip
        return HealthChecker(config)
