"""Settings of the health checks, one frozen value per camera."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# (low, high) inclusive bounds of each field.
_BOUNDS: dict[str, tuple[float, float]] = {
    "raise_after": (1, 1000),
    "clear_after": (1, 1000),
    "learn_samples": (1, 1000),
    "adapt_rate": (0.0, 1.0),
    "no_signal_uniform": (0.5, 1.0),
    "dark_mean": (0.0, 128.0),
    "overexposed_clipped": (0.05, 1.0),
    "frozen_changed": (0.0, 0.5),
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

    raise_after (k): consecutive bad samples before a fault is raised (k >= 2 means a
        single bad sample never alerts).
    clear_after (m): consecutive good samples before a raised fault clears.
    learn_samples: good samples averaged into the first baseline.
    adapt_rate: weight of each later good sample in the baseline (slow drift).
    no_signal_uniform: share of pixels within ±3 levels of the median at or above
        which the picture is a solid "no video" screen; for a dark picture (mean
        below `dark_mean`) the pixels must sit at exactly one level.
    dark_mean: mean luma below which the picture is too dark to use.
    overexposed_clipped: share of clipped (>= 250) pixels at or above which the
        picture is overexposed.
    frozen_changed: share of pixels that changed since the previous sample at or
        below which the picture is frozen (a ticking clock alone stays below).
    occluded_cells: share of the textured grid cells that lost their texture and
        contrast at or above which the lens is covered.
    cover_ratio: a cell is covered when both its fine detail and its contrast fell
        below this fraction of the baseline.
    moved_tiles: share of the stable reference tiles found displaced at or above
        which the view has moved.
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
    learn_samples: int = 5
    adapt_rate: float = 0.05
    no_signal_uniform: float = 0.9
    dark_mean: float = 30.0
    overexposed_clipped: float = 0.35
    frozen_changed: float = 0.01
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
