"""The labelled health scenarios: standard faults, negatives, and size sweeps.

A painter turns a clean frame into what the camera would deliver `since` seconds
after the fault's onset (negative `since`: before it, the frame is left alone).
Sizes are in the frame's own terms (blur sigma at 640 px wide, shares of the
picture, degrees), so they mean the same on every clip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from bus.vocabulary import FaultCode
from ingest.simulator import fault_painter as fi

Frame = fi.Frame
Painter = Callable[[Frame, float, float, np.random.Generator], Frame]
"""(clean frame, seconds since onset, video time s, rng) -> frame; called from the onset on."""

# How a frozen picture is delivered from the onset on: the same bytes every time,
# the same picture with a ticking clock drawn on it, or re-encoded with fresh noise.
FREEZE_NONE, FREEZE_SAME, FREEZE_CLOCK, FREEZE_NOISE = "", "same", "clock", "noise"
LIGHTING = "lighting"


@dataclass(frozen=True, slots=True)
class Scenario:
    """expected: the code that must be raised after the onset (None: nothing may be).
    family / size: the sweep this scenario belongs to and its size, for the table.
    freeze: how the picture is frozen from the onset on (FREEZE_*), if at all."""

    name: str
    expected: FaultCode | None
    paint: Painter
    family: str = ""
    size: float = 0.0
    freeze: str = FREEZE_NONE


def _scale(frame: Frame) -> float:
    return float(frame.shape[1]) / 640.0


def _fault(name: str, code: FaultCode | None, paint: Callable[[Frame], Frame]) -> Scenario:
    return Scenario(name, code, lambda f, s, t, r: paint(f))


def _noisy_reencode(sigma: float) -> Painter:
    def paint(frame: Frame, since: float, t: float, rng: np.random.Generator) -> Frame:
        # An encoder repeating a frozen raw picture: fresh noise, then JPEG again.
        noisy = fi.gaussian_noise(frame, sigma, rng) if sigma > 0 else frame
        return fi.jpeg(noisy, 85)

    return paint


def _defocus_over(seconds: float, sigma: float) -> Painter:
    def paint(frame: Frame, since: float, t: float, rng: np.random.Generator) -> Frame:
        return fi.blur(frame, sigma * min(since / seconds, 1.0) * _scale(frame))

    return paint


def _lighting(direction: float) -> Painter:
    def paint(frame: Frame, since: float, t: float, rng: np.random.Generator) -> Frame:
        # ±40 % over 10 s from the onset, then held.
        return fi.illumination(frame, 1.0 + direction * 0.4 * min(since / 10.0, 1.0))

    return paint


def _blur(sigma: float) -> Painter:
    return lambda f, s, t, r: fi.blur(f, sigma * _scale(f))


def _shift(pct: float) -> Painter:
    return lambda f, s, t, r: fi.shift(f, pct / 100)


def _rotate(degrees: float) -> Painter:
    return lambda f, s, t, r: fi.rotate(f, degrees)


def _cover(pct: float) -> Painter:
    return lambda f, s, t, r: fi.cover(f, pct / 100)


def standard() -> tuple[Scenario, ...]:
    """The standard sizes: each must be raised with its code on the evaluation clips."""
    return (
        _fault("blur-3px", FaultCode.BLURRED, lambda f: fi.blur(f, 3 * _scale(f))),
        _fault("cover-full", FaultCode.OCCLUDED, fi.cover),
        _fault("cover-left-40", FaultCode.OCCLUDED, lambda f: fi.cover(f, 0.4)),
        _fault(
            "cover-corner-30",
            FaultCode.OCCLUDED,
            lambda f: fi.cover(f, 0.3, colour=(30, 30, 35), side="bottom-right"),
        ),
        _fault(
            "cover-translucent",
            FaultCode.OCCLUDED,
            lambda f: fi.cover(f, 1.0, 0.7, (200, 200, 200)),
        ),
        _fault(
            "cover-translucent-top-50",
            FaultCode.OCCLUDED,
            lambda f: fi.cover(f, 0.5, 0.6, (210, 210, 210), side="top"),
        ),
        _fault("shift-5", FaultCode.MOVED, lambda f: fi.shift(f, 0.05)),
        _fault("shift-10-diag", FaultCode.MOVED, lambda f: fi.shift(f, -0.1, 0.1)),
        _fault("shift-15", FaultCode.MOVED, lambda f: fi.shift(f, -0.15)),
        _fault("rotate-3", FaultCode.MOVED, lambda f: fi.rotate(f, 3)),
        _fault("rotate-5", FaultCode.MOVED, lambda f: fi.rotate(f, -5)),
        Scenario("freeze", FaultCode.FROZEN, lambda f, s, t, r: f, freeze=FREEZE_SAME),
        Scenario(
            "freeze-ticking",
            FaultCode.FROZEN,
            lambda f, s, t, r: fi.draw_timestamp(f, t),
            freeze=FREEZE_CLOCK,
        ),
        _fault("black", FaultCode.NO_SIGNAL, fi.black),
        _fault("blue-screen", FaultCode.NO_SIGNAL, fi.no_signal_screen),
        _fault("dark", FaultCode.TOO_DARK, fi.darken),
        _fault("overexposed", FaultCode.OVEREXPOSED, fi.overexpose),
        _fault("colour-cast", FaultCode.COLOR_CAST, fi.colour_cast),
        Scenario("noise-20", FaultCode.NOISY, lambda f, s, t, r: fi.gaussian_noise(f, 20, r)),
    )


def negatives() -> tuple[Scenario, ...]:
    """Changes that are not faults: nothing may be raised."""
    return (
        Scenario("light-up-40", None, _lighting(+1.0), LIGHTING),
        Scenario("light-down-40", None, _lighting(-1.0), LIGHTING),
        Scenario("rain", None, lambda f, s, t, r: fi.rain(f, r)),
        _fault("jpeg-q15", None, lambda f: fi.jpeg(f, 15)),
        Scenario("ticking-clock", None, lambda f, s, t, r: fi.draw_timestamp(f, t)),
    )


def blown_out_share(frame: Frame) -> float:
    """Share of the picture's pixels at 250 or above: what OVEREXPOSED is defined by."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    return float(np.count_nonzero(gray >= 250)) / gray.size


def labelled_for(scenario: Scenario, held: list[Frame], blown_out: float) -> Scenario:
    """A lighting change is no fault, unless it blows out the picture: where the held
    pictures (`paint` applied long after the onset) have a median share of clipped
    pixels at or above `blown_out` (the configured definition), the camera is
    overexposed by that definition and must say so. Labelled from the painted pixels,
    never from what the checker answers."""
    if scenario.family != LIGHTING or not held:
        return scenario
    rng = np.random.default_rng(0)
    shares = [blown_out_share(scenario.paint(f, 3600.0, 3600.0, rng)) for f in held]
    if float(np.median(shares)) < blown_out:
        return scenario
    return replace(scenario, name=f"{scenario.name} (blown out)", expected=FaultCode.OVEREXPOSED)


def sweeps() -> tuple[Scenario, ...]:
    """Fault sizes the thresholds were not chosen for, one family per fault kind."""
    found: list[Scenario] = []
    for sigma in (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0):
        found.append(
            Scenario(
                f"blur-{sigma:g}",
                FaultCode.BLURRED,
                _blur(sigma),
                "blur sigma px@640",
                sigma,
            )
        )
    for pct in (2.0, 3.0, 5.0, 8.0, 10.0, 15.0):
        found.append(
            Scenario(
                f"shift-{pct:g}",
                FaultCode.MOVED,
                _shift(pct),
                "shift %",
                pct,
            )
        )
    for degrees in (1.0, 2.0, 3.0, 5.0):
        found.append(
            Scenario(
                f"rotate-{degrees:g}",
                FaultCode.MOVED,
                _rotate(degrees),
                "rotation deg",
                degrees,
            )
        )
    for pct in (10.0, 20.0, 30.0, 40.0, 60.0, 80.0):
        found.append(
            Scenario(
                f"cover-{pct:g}",
                FaultCode.OCCLUDED,
                _cover(pct),
                "cover % (opaque, from the left)",
                pct,
            )
        )
    for sigma in (0.0, 0.5, 1.0, 2.0, 4.0):
        found.append(
            Scenario(
                f"freeze-noise-{sigma:g}",
                FaultCode.FROZEN,
                _noisy_reencode(sigma),
                "freeze + fresh encoder noise sigma",
                sigma,
                FREEZE_NOISE,
            )
        )
    found.append(
        Scenario(
            "freeze-clock",
            FaultCode.FROZEN,
            lambda f, s, t, r: fi.draw_timestamp(f, t),
            "freeze + ticking clock",
            1.0,
            FREEZE_CLOCK,
        )
    )
    found.append(
        Scenario(
            "defocus-60s",
            FaultCode.BLURRED,
            _defocus_over(60.0, 4.0),
            "defocus 0->4 px over 60 s",
            4.0,
        )
    )
    return tuple(found)
