"""Fault codes and the verdicts the health checker hands back."""

from __future__ import annotations

from dataclasses import dataclass

from bus.vocabulary import FaultCode


@dataclass(frozen=True, slots=True)
class FaultVerdict:
    """One check's reading: the measured value and the threshold it is compared with."""

    code: FaultCode
    value: float
    threshold: float


@dataclass(frozen=True, slots=True)
class Measurement:
    """A check's outcome on one sample; `bad` is None when the check could not judge it
    (another fault hides it, or the baseline is still being learned)."""

    code: FaultCode
    bad: bool | None
    value: float
    threshold: float

    def verdict(self) -> FaultVerdict:
        return FaultVerdict(self.code, self.value, self.threshold)


@dataclass(frozen=True, slots=True)
class HealthVerdict:
    """What one sample changed.

    raised: faults that became active with this sample.
    cleared: faults that ended with this sample.
    active: every active fault after this sample, with its latest reading.
    measured: every check that could judge this sample, with its reading.
    learning: the baseline is still being learned; relative checks wait.
    suspect: checks that found this sample bad, raised or not yet (persistence pending).
    """

    raised: tuple[FaultVerdict, ...]
    cleared: tuple[FaultVerdict, ...]
    active: tuple[FaultVerdict, ...]
    measured: tuple[FaultVerdict, ...]
    learning: bool
    suspect: tuple[FaultCode, ...] = ()

    @property
    def good(self) -> bool:
        """No fault active and no check finding fault: a picture of the camera working."""
        return not self.active and not self.suspect
