"""Settings of the health checks, one frozen value per camera."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bus.vocabulary import FaultCode
from ingest.analysis.debounce import Hold

_HOUR = 3600.0
# (low, high) inclusive bounds of each field.
_BOUNDS: dict[str, tuple[float, float]] = {
    "raise_after": (1, 1000),
    "clear_after": (1, 1000),
    "tolerate": (0, 100),
    "no_signal_s": (0.0, _HOUR),
    "frozen_s": (0.0, _HOUR),
    "too_dark_s": (0.0, _HOUR),
    "overexposed_s": (0.0, _HOUR),
    "blurred_s": (0.0, _HOUR),
    "occluded_s": (0.0, _HOUR),
    "moved_s": (0.0, _HOUR),
    "color_cast_s": (0.0, _HOUR),
    "noisy_s": (0.0, _HOUR),
    "clear_s": (0.0, _HOUR),
    "learn_samples": (1, 1000),
    "adapt_rate": (0.0, 1.0),
    "no_signal_uniform": (0.5, 1.0),
    "dark_mean": (0.0, 128.0),
    "overexposed_clipped": (0.05, 1.0),
    "frozen_level": (0.0, 2.0),
    "frozen_noise_ratio": (0.0, 0.9),
    "occluded_cells": (0.05, 1.0),
    "cover_ratio": (0.05, 0.95),
    "moved_tiles": (0.05, 1.0),
    "blur_ratio": (0.1, 0.99),
    "noise_ratio": (1.0, 20.0),
    "noise_min": (0.5, 64.0),
    "cast_distance": (1.0, 128.0),
    "monochrome_saturation": (0.0, 64.0),
}


@dataclass(frozen=True, slots=True)
class HealthConfig:
    """How one camera's picture is judged. Relative checks compare with the baseline
    the checker learns from the camera's own first good samples.

    Persistence: a fault is raised when its condition has held for `raise_after`
    samples AND its minimum time (seconds of sample timestamps, below), and cleared
    when the picture has been good for `clear_after` samples AND `clear_s` seconds.

    raise_after (k): consecutive bad samples before a fault is raised (k >= 2 means a
        single bad sample never alerts, however far apart the samples are).
    clear_after (m): consecutive good samples before a raised fault clears.
    tolerate: contrary samples in a row a pending run survives (a car crossing a
        tile for one sample of a moved view). FROZEN never tolerates any: one changed
        picture proves the stream is live.
    no_signal_s: a "no video" screen for this long is a lost feed, not a reboot blink.
    frozen_s: a stuck stream is worth an alarm after minutes: a still scene can look
        unchanged for seconds between encoder refreshes, never for minutes.
    too_dark_s / overexposed_s: lights switched off, headlights into the lens and
        exposure steps pass within this.
    blurred_s: a raindrop or a smudge wiped off by the wind passes within this.
    occluded_s: a covered lens is raised soon; a passer-by in front of it is gone by then.
    moved_s: the displacement must last, not be a person standing close to the lens.
    color_cast_s / noisy_s: slow faults; a minute costs nothing.
    clear_s: good pictures for this long end a fault (all codes).
    learn_samples: good samples averaged into the first baseline.
    adapt_rate: weight of each later good sample in the baseline (slow drift).
    no_signal_uniform: share of pixels within ±3 levels of the median at or above
        which the picture is a solid "no video" screen; for a dark picture (mean
        below `dark_mean`) the pixels must sit at exactly one level.
    dark_mean: mean luma below which the picture is too dark to use.
    overexposed_clipped: share of clipped (>= 250) pixels at or above which the
        picture is overexposed.
    frozen_level: change (levels, median over the picture's cells of the mean
        absolute difference from the first picture of the run) at or below which two
        pictures are the same picture; a ticking clock touches too few cells to count.
    frozen_noise_ratio: a change below this fraction of the camera's learned still
        noise floor (by day and by night apart) is a frozen picture re-encoded with
        fresh encoder noise, not a live sensor. Off (0) by default: a floor learned
        on a busy picture can sit far above a later quiet one, and quiet samples are
        never learned, so a quiet still scene would read as frozen (seen on the
        simulated cameras of the e2e test).
    occluded_cells: share of the textured grid cells that lost their texture and
        contrast at or above which the lens is covered.
    cover_ratio: a cell is covered when both its fine detail and its contrast fell
        below this fraction of the baseline.
    moved_tiles: share of the stable reference tiles displaced consistently (one
        shift or rotation of the whole view) at or above which the view has moved.
    blur_ratio: sharpness below this fraction of the baseline's is blurred.
    noise_ratio / noise_min: noise above max(noise_min, noise_ratio x baseline)
        levels is noisy.
    cast_distance: distance in CIELAB a*b* from the baseline's mean colour above
        which the picture has a colour cast.
    monochrome_saturation: mean HSV saturation below which the picture is treated
        as monochrome (IR night mode) and the colour check is skipped.
    """

    raise_after: int = 3
    clear_after: int = 3
    tolerate: int = 1
    no_signal_s: float = 10.0
    frozen_s: float = 120.0
    too_dark_s: float = 60.0
    overexposed_s: float = 30.0
    blurred_s: float = 30.0
    occluded_s: float = 10.0
    moved_s: float = 30.0
    color_cast_s: float = 60.0
    noisy_s: float = 60.0
    clear_s: float = 10.0
    learn_samples: int = 5
    adapt_rate: float = 0.05
    no_signal_uniform: float = 0.9
    dark_mean: float = 30.0
    overexposed_clipped: float = 0.35
    frozen_level: float = 0.1
    frozen_noise_ratio: float = 0.0
    occluded_cells: float = 0.2
    cover_ratio: float = 0.35
    moved_tiles: float = 0.3
    blur_ratio: float = 0.72
    noise_ratio: float = 2.5
    noise_min: float = 4.0
    cast_distance: float = 15.0
    monochrome_saturation: float = 6.0

    def __post_init__(self) -> None:
        for field in fields(self):
            low, high = _BOUNDS[field.name]
            value: Any = getattr(self, field.name)
            if not low <= value <= high:
                raise ValueError(f"health {field.name}={value} is outside {low}..{high}")

    def min_time_s(self, code: FaultCode) -> float:
        """Seconds the condition of `code` must hold before it is raised."""
        seconds: float = getattr(self, f"{code.value.lower()}_s")
        return seconds

    def hold(self, code: FaultCode) -> Hold:
        tolerate = 0 if code is FaultCode.FROZEN else self.tolerate
        return Hold(
            self.raise_after, self.min_time_s(code), self.clear_after, self.clear_s, tolerate
        )

    @classmethod
    def immediate(cls, **overrides: Any) -> HealthConfig:
        """Counts samples only (every minimum time 0), as the checks did before times."""
        times = {f"{code.value.lower()}_s": 0.0 for code in FaultCode}
        return cls(**{**times, "clear_s": 0.0, "tolerate": 0, **overrides})
