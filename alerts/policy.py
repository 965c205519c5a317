"""The pipeline's thresholds in one frozen value, built from `Settings` at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from config.settings import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    hold_s: float = 120.0
    """A camera's offline alert stays pending this long, so its storm group can form first."""
    group_hold_s: float = 60.0
    """A new group alert is held this long too: a township's group forming in the
    meantime inhibits the uplink groups inside it before either is shown."""
    group_window_s: float = 300.0
    group_min_count: int = 5
    group_min_share: float = 0.2
    group_clear_share: float = 0.1
    """A group resolves when its share of cameras down drops below this (hysteresis)."""
    group_district_level: int = 3
    flap_window_s: float = 600.0
    flap_changes: int = 6
    recurrence_window_s: float = 3600.0
    no_worker_hold_s: float = 60.0
    """Every known ingest worker offline this long raises `no_live_worker`."""
    max_clock_skew_s: float = 60.0
    """How far ahead of our clock an event time may be; further is `clock_skew`."""

    def __post_init__(self) -> None:
        if not 0 < self.group_clear_share <= self.group_min_share <= 1:
            raise ValueError("need 0 < group_clear_share <= group_min_share <= 1")
        if self.flap_changes < 2:
            raise ValueError("flap_changes must be at least 2")

    @property
    def hold(self) -> timedelta:
        return timedelta(seconds=self.hold_s)

    @property
    def group_hold(self) -> timedelta:
        return timedelta(seconds=self.group_hold_s)

    @property
    def group_window(self) -> timedelta:
        return timedelta(seconds=self.group_window_s)

    @property
    def flap_window(self) -> timedelta:
        return timedelta(seconds=self.flap_window_s)

    @property
    def recurrence_window(self) -> timedelta:
        return timedelta(seconds=self.recurrence_window_s)

    @property
    def no_worker_hold(self) -> timedelta:
        return timedelta(seconds=self.no_worker_hold_s)

    @property
    def max_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.max_clock_skew_s)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            hold_s=settings.alerts_hold_s,
            group_hold_s=settings.alerts_group_hold_s,
            group_window_s=settings.alerts_group_window_s,
            group_min_count=settings.alerts_group_min_count,
            group_min_share=settings.alerts_group_min_share,
            group_clear_share=settings.alerts_group_clear_share,
            group_district_level=settings.alerts_group_district_level,
            flap_window_s=settings.alerts_flap_window_s,
            flap_changes=settings.alerts_flap_changes,
            recurrence_window_s=settings.alerts_recurrence_window_s,
            no_worker_hold_s=settings.alerts_no_worker_hold_s,
            max_clock_skew_s=settings.alerts_max_clock_skew_s,
        )
