"""Live-view decisions: limits, which stream to relay, what to end and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.live.admission import (
    ViewerLimits,
    ViewerState,
    admit,
    live_url,
    upstream_expired,
    viewers_to_drop,
)

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def test_admit_refuses_at_the_camera_limit_first_then_the_server_limit() -> None:
    limits = ViewerLimits(per_camera=2, per_server=3)
    assert admit(limits, camera_viewers=1, server_viewers=2) is None
    camera = admit(limits, camera_viewers=2, server_viewers=3)
    assert camera is not None
    assert camera.limit == "camera"
    assert "most allowed (2)" in camera.detail
    server = admit(limits, camera_viewers=0, server_viewers=3)
    assert server is not None
    assert server.limit == "server"
    assert "(3)" in server.detail


def test_live_url_prefers_the_sub_stream_and_takes_only_streams() -> None:
    assert live_url("rtsp://c/sub", "rtsp://c/main") == "rtsp://c/sub"
    assert live_url(None, "http://c/mjpeg") == "http://c/mjpeg"
    assert live_url("ftp://c/x", None) is None
    assert live_url(None, None) is None


def test_viewers_that_never_connect_are_dropped_after_the_timeout() -> None:
    viewers = [
        ViewerState("late", T0, connected=False),
        ViewerState("fresh", T0 + timedelta(seconds=15), connected=False),
        ViewerState("watching", T0, connected=True),
    ]
    assert viewers_to_drop(viewers, T0 + timedelta(seconds=20), 20) == ["late"]


def test_an_upstream_closes_once_idle_for_the_linger_time() -> None:
    assert not upstream_expired(None, T0, 0)
    assert upstream_expired(T0, T0, 0)
    assert not upstream_expired(T0, T0 + timedelta(seconds=9), 10)
    assert upstream_expired(T0, T0 + timedelta(seconds=10), 10)
