"""Per-camera picture health: the checks in order, their persistence, the baseline.

Order matters. A missing signal hides everything else; a picture too dark or
blown out cannot be judged for detail; a cover hides the view, so movement,
blur, noise and colour wait; a moved view is not compared for blur (the new
view's sharpness says nothing against the old one's).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from bus.vocabulary import FaultCode
from ingest.analysis import checks, freeze, measures
from ingest.analysis.baseline import (
    Baseline,
    absorb,
    first_baseline,
    from_state,
    note_tiles,
    to_state,
)
from ingest.analysis.debounce import Persistence, Transition, step_persistence
from ingest.analysis.freeze import FreezeState
from ingest.analysis.health_codes import FaultVerdict, HealthVerdict, Measurement
from ingest.analysis.health_config import HealthConfig

Gray = npt.NDArray[np.uint8]


def _unjudged(reading: Measurement) -> Measurement:
    return Measurement(reading.code, None, reading.value, reading.threshold)


_SHARE_CODES = (FaultCode.OCCLUDED, FaultCode.MOVED)


def _clearly_good(reading: Measurement) -> bool:
    """Good, and for the share-based checks well clear of the threshold: a fault that
    creeps in just under its threshold must not be learned as normal."""
    if reading.bad:
        return False
    return reading.code not in _SHARE_CODES or reading.value < reading.threshold / 2


def _persistence_from(counters: list[Any]) -> Persistence:
    """[active, run, gap, since]; a state saved before times were kept holds
    [active, bad_run, good_run], whose pending run restarts its clock."""
    active = bool(counters[0])
    if len(counters) < 4:
        return Persistence(active, int(counters[2] if active else counters[1]))
    since = counters[3]
    return Persistence(
        active, int(counters[1]), int(counters[2]), None if since is None else float(since)
    )


class HealthChecker:
    """Health of one camera. Feed reduced samples in time order (see `frames.prepare_sample`)."""

    def __init__(self, config: HealthConfig | None = None) -> None:
        self.config = config or HealthConfig()
        self._baseline: Baseline | None = None
        self._persistence: dict[FaultCode, Persistence] = {
            code: Persistence() for code in FaultCode
        }
        self._readings: dict[FaultCode, FaultVerdict] = {}
        self._previous: Gray | None = None
        self._freeze = FreezeState()

    @property
    def learning(self) -> bool:
        baseline = self._baseline
        return baseline is None or baseline.samples < self.config.learn_samples

    def reset_baseline(self) -> None:
        """Relearn the normal picture (after an operator confirms a new view)."""
        self._baseline = None

    def check(
        self,
        gray: Gray,
        t: float,
        color: npt.NDArray[np.uint8] | None = None,
        *,
        payload_digest: bytes | None = None,
    ) -> HealthVerdict:
        """Judge one sample taken at `t` seconds (capture or video time).

        gray: reduced uint8 luma (320 wide is the default reduction); color: a
        small BGR thumbnail of the same frame, or None for a luma-only source.
        payload_digest: a digest of the encoded picture when the source has one
        (snapshot JPEG bytes); equal digests on consecutive samples mean a stuck
        stream. Persistence counts samples and seconds of `t` (see HealthConfig).
        """
        measured = self._measure(gray, color, payload_digest)
        return self._settle(measured, t)

    def _measure(
        self, gray: Gray, color: npt.NDArray[np.uint8] | None, digest: bytes | None
    ) -> list[Measurement]:
        cfg = self.config
        coarse = measures.half(gray)
        exposure = measures.exposure(coarse)
        signal = checks.no_signal(exposure, cfg)
        if signal.bad:
            self._previous = None
            self._freeze = freeze.blank(self._freeze)
            return [signal]
        readings = [signal, checks.too_dark(exposure, cfg), checks.overexposed(exposure, cfg)]
        if any(m.bad for m in readings):
            self._previous = None
            self._freeze = freeze.blank(self._freeze)
            return readings
        chroma = measures.chroma(color) if color is not None else None
        night = chroma is not None and chroma[2] < cfg.monochrome_saturation
        mode = freeze.NIGHT if night else freeze.DAY
        stuck, change = freeze.judge(self._freeze, gray, digest, mode, cfg)
        readings.append(stuck)
        previous, self._previous = self._previous, gray
        noise = temporal = None
        if previous is not None and previous.shape == gray.shape:
            # Lighting that changed between the samples is not noise: match the levels first.
            gain = cv2.mean(gray)[0] / max(cv2.mean(previous)[0], 1.0)
            matched = cv2.absdiff(gray, cv2.convertScaleAbs(previous, alpha=gain))
            temporal = measures.temporal_noise(np.asarray(matched, dtype=np.uint8))

        texture = measures.texture(gray, coarse)
        if temporal is not None:
            # Sensor noise shows in both estimates; texture only inflates the spatial one,
            # motion, lighting and compression flicker only the temporal one.
            noise = min(temporal, texture.spatial_noise)
        view = measures.half(coarse)
        baseline = self._baseline
        tiles = None
        if baseline is not None and not self.learning and baseline.reference.shape == view.shape:
            readings.extend(self._relative(baseline, texture, noise, chroma))
            reference = np.clip(np.rint(baseline.reference), 0, 255).astype(np.uint8)
            tiles = measures.match_tiles(view, reference, measures.tile_spread(reference))
            cover = readings[-1]
            if cover.bad:
                # A still cover changes nothing between samples: that is the cover, not a freeze.
                readings = [_unjudged(m) if m.code is FaultCode.FROZEN else m for m in readings]
            else:
                moved = checks.moved(tiles, baseline, cfg)
                readings.append(moved)
                if not moved.bad:
                    readings.append(checks.blurred(texture, baseline, cfg))
        frozen_now = next(m.bad for m in readings if m.code is FaultCode.FROZEN)
        self._freeze = freeze.advance(self._freeze, gray, digest, frozen_now)
        if self._baseline is not None and tiles is not None and not any(m.bad for m in readings):
            self._baseline = note_tiles(self._baseline, tiles.displaced)
        if all(_clearly_good(m) for m in readings) and not self._pending():
            self._learn(texture, view, chroma, noise)
            if change is not None:
                self._freeze = freeze.learn_floor(self._freeze, change, mode)
        return readings

    def _pending(self) -> bool:
        """A fault is on its way to being raised: learning now would teach it as normal
        during its minimum time (a slow defocus, a view moved by a few percent)."""
        return any(p.run and not p.active for p in self._persistence.values())

    def _relative(
        self,
        baseline: Baseline,
        texture: measures.Texture,
        noise: float | None,
        chroma: tuple[float, float, float] | None,
    ) -> list[Measurement]:
        """Noise and colour (independent of the view), then the cover check last."""
        cfg = self.config
        cover = checks.occluded(texture, baseline, cfg)
        readings = []
        if not cover.bad:
            if noise is not None:
                readings.append(checks.noisy(noise, baseline, cfg))
            if chroma is not None:
                readings.append(checks.colour_cast(chroma, baseline, cfg))
        readings.append(cover)
        return readings

    def _learn(
        self,
        texture: measures.Texture,
        view: Gray,
        chroma: tuple[float, float, float] | None,
        noise: float | None,
    ) -> None:
        colour = None if chroma is None else (chroma[0], chroma[1])
        baseline = self._baseline
        if baseline is None:
            self._baseline = first_baseline(texture, view, colour, noise)
            return
        learning = baseline.samples < self.config.learn_samples
        weight = 1.0 / (baseline.samples + 1) if learning else self.config.adapt_rate
        self._baseline = absorb(baseline, texture, view, colour, noise, weight)

    def _settle(self, measured: list[Measurement], t: float) -> HealthVerdict:
        cfg = self.config
        raised: list[FaultVerdict] = []
        cleared: list[FaultVerdict] = []
        for reading in measured:
            state, transition = step_persistence(
                self._persistence[reading.code], reading.bad, t, cfg.hold(reading.code)
            )
            self._persistence[reading.code] = state
            if reading.bad is not None:
                self._readings[reading.code] = reading.verdict()
            if transition is Transition.RAISED:
                raised.append(reading.verdict())
            elif transition is Transition.CLEARED:
                cleared.append(reading.verdict())
        active = tuple(
            self._readings[code]
            for code in FaultCode
            if self._persistence[code].active and code in self._readings
        )
        return HealthVerdict(
            raised=tuple(raised),
            cleared=tuple(cleared),
            active=active,
            measured=tuple(m.verdict() for m in measured if m.bad is not None),
            learning=self.learning,
            suspect=tuple(m.code for m in measured if m.bad),
        )

    def state_dict(self) -> dict[str, Any]:
        """Learned state as a small JSON-able dict; `from_state` restores it after a restart."""
        return {
            "baseline": None if self._baseline is None else to_state(self._baseline),
            "faults": {
                code.value: [p.active, p.run, p.gap, p.since]
                for code, p in self._persistence.items()
                if p.active or p.run
            },
            "still_floors": freeze.floors_state(self._freeze),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], config: HealthConfig | None = None) -> HealthChecker:
        """A checker that carries on from `state_dict()` output (raises ValueError if unusable)."""
        checker = cls(config)
        baseline = state.get("baseline")
        if baseline is not None:
            checker._baseline = from_state(baseline)
        for name, counters in state.get("faults", {}).items():
            checker._persistence[FaultCode(name)] = _persistence_from(counters)
        checker._freeze = freeze.from_floors(state.get("still_floors"))
        return checker
