from __future__ import annotations

from ingest.analysis.motion_events import EventState, MotionEvent, step_events


def _run(frames: list[tuple[float, bool]]) -> list[tuple[float, MotionEvent]]:
    state = EventState()
    events = []
    for t, moving in frames:
        state, event = step_events(state, moving, t, start_after_s=0.5, end_after_s=2.0)
        if event is not None:
            events.append((t, event))
    return events


def test_start_after_minimum_duration_and_end_after_cooldown() -> None:
    frames = [(i * 0.1, 1.0 <= i * 0.1 <= 3.0) for i in range(80)]
    events = _run(frames)
    assert [e for _, e in events] == [MotionEvent.START, MotionEvent.END]
    start_t, end_t = events[0][0], events[1][0]
    assert abs(start_t - 1.5) < 1e-9
    assert abs(end_t - 5.0) < 0.11


def test_short_blips_never_start() -> None:
    # 0.3 s bursts separated by gaps: each gap restarts the minimum-duration clock.
    frames = [(i * 0.1, (i % 10) < 3) for i in range(100)]
    assert _run(frames) == []


def test_motion_during_cooldown_keeps_event_open() -> None:
    frames = [(i * 0.1, i < 10 or 25 <= i < 27) for i in range(60)]
    events = _run(frames)
    assert [e for _, e in events] == [MotionEvent.START, MotionEvent.END]
    assert events[1][0] >= 2.6 + 2.0 - 1e-9


def test_time_comes_from_timestamps_only() -> None:
    # Sparse frames (a 1 fps sub-stream): two moving frames 1 s apart start an event.
    events = _run([(0.0, True), (1.0, True), (2.0, False), (5.0, False)])
    assert [e for _, e in events] == [MotionEvent.START, MotionEvent.END]
