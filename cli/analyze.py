"""`gridwatch analyze SOURCE`: motion and picture health of one video, frame by frame.

Decoding happens here (OpenCV's VideoCapture reads files, image-sequence
patterns such as ``frames/in%06d.jpg`` and RTSP/HTTP URLs); the analysis
kernels in `ingest.analysis` only ever see decoded frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import cv2
import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.table import Table

from ingest.analysis.frames import prepare_sample
from ingest.analysis.health import HealthChecker
from ingest.analysis.health_codes import FaultVerdict, HealthVerdict
from ingest.analysis.motion import MotionDetector, MotionResult

Frame = npt.NDArray[np.uint8]
_DEFAULT_FPS = 25.0


@dataclass(frozen=True, slots=True)
class FrameReport:
    """Both verdicts for one analyzed frame; `frame` counts input frames from 0."""

    frame: int
    t: float
    motion: MotionResult
    health: HealthVerdict


def read_frames(
    capture: cv2.VideoCapture, every: int, fps: float | None = None
) -> Iterator[tuple[int, float, Frame]]:
    """(input frame number, video time in s, frame) for every `every`-th frame; the
    others are only grabbed, not decoded into images. Time comes from `fps` when
    given, else from the container's frame rate (25 when it has none)."""
    if fps is None:
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not fps or fps <= 0 or fps > 1000:
            fps = _DEFAULT_FPS
    index = 0
    while True:
        if index % every:
            if not capture.grab():
                return
            index += 1
            continue
        ok, frame = capture.read()
        if not ok or frame is None:
            return
        yield index, index / fps, np.asarray(frame, dtype=np.uint8)
        index += 1


def analyze_frames(
    frames: Iterator[tuple[int, float, Frame]], want_masks: bool
) -> Iterator[FrameReport]:
    """Run one motion detector and one health checker over the frames."""
    motion = MotionDetector()
    health = HealthChecker()
    for number, t, frame in frames:
        sample = prepare_sample(frame)
        moved = motion.process(frame, t, want_mask=want_masks)
        verdict = health.check(sample.gray, t, color=sample.thumb)
        yield FrameReport(number, t, moved, verdict)


def _fault(verdict: FaultVerdict) -> dict[str, Any]:
    return {
        "code": verdict.code.value,
        "value": round(verdict.value, 4),
        "threshold": round(verdict.threshold, 4),
    }


def report_json(report: FrameReport) -> str:
    """One JSON Lines record for an analyzed frame."""
    record: dict[str, Any] = {
        "frame": report.frame,
        "t": round(report.t, 3),
        "motion": {
            "area": round(report.motion.area, 5),
            "boxes": [list(box) for box in report.motion.boxes],
        },
        "raised": [_fault(v) for v in report.health.raised],
        "cleared": [_fault(v) for v in report.health.cleared],
    }
    if report.motion.event is not None:
        record["motion"]["event"] = report.motion.event.value
    return json.dumps(record)


def _open(source: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        capture.release()
        typer.echo(
            f"error: cannot open {source!r}. Give a readable video file, an image-sequence "
            "pattern such as frames/in%06d.jpg, or an rtsp:// or http:// stream URL "
            "(check the path, the pattern's digits, or that the camera answers).",
            err=True,
        )
        raise typer.Exit(2)
    return capture


def analyze(
    source: Annotated[
        str,
        typer.Argument(
            help="Video file, image-sequence pattern (frames/in%06d.jpg) or RTSP/HTTP URL."
        ),
    ],
    every: Annotated[
        int, typer.Option("--every", min=1, help="Analyze every Nth input frame.")
    ] = 1,
    masks: Annotated[
        Path | None,
        typer.Option(
            "--masks",
            help="Write each analyzed frame's motion mask here as NNNNNN.png (input size).",
        ),
    ] = None,
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per analyzed frame on stdout.")
    ] = False,
    fps: Annotated[
        float | None,
        typer.Option(
            "--fps",
            min=0.001,
            max=1000.0,
            help="Frame rate of an image sequence (video time drives the health checks' "
            "minimum times); a video file's own rate is used otherwise.",
        ),
    ] = None,
) -> None:
    """Motion (area, boxes, events) and camera health faults of one video source."""
    capture = _open(source)
    if masks is not None:
        masks.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=json_lines)
    analyzed = motion_frames = 0
    events: list[tuple[int, float, str]] = []
    try:
        for report in analyze_frames(read_frames(capture, every, fps), masks is not None):
            analyzed += 1
            motion_frames += report.motion.area > 0
            if masks is not None and report.motion.mask is not None:
                cv2.imwrite(str(masks / f"{report.frame:06d}.png"), report.motion.mask)
            if json_lines:
                typer.echo(report_json(report))
                continue
            if report.motion.event is not None:
                events.append((report.frame, report.t, report.motion.event.value))
            events.extend(
                (
                    report.frame,
                    report.t,
                    f"raised {v.code.value} ({v.value:.3g} vs {v.threshold:.3g})",
                )
                for v in report.health.raised
            )
            events.extend(
                (report.frame, report.t, f"cleared {v.code.value}") for v in report.health.cleared
            )
    finally:
        capture.release()
    if analyzed == 0:
        typer.echo(f"error: {source!r} opened but gave no frames; is it empty?", err=True)
        raise typer.Exit(2)
    if not json_lines:
        console.print(
            f"{source}: {analyzed} frames analyzed, {motion_frames} with motion", soft_wrap=True
        )
        table = Table()
        table.add_column("frame", justify="right")
        table.add_column("t (s)", justify="right")
        table.add_column("event")
        for number, t, text in events:
            table.add_row(str(number), f"{t:.2f}", text)
        if not events:
            table.add_row("-", "-", "no motion events, no health faults")
        console.print(table)
