"""Every scripted fault, observed through a real HTTP client, in virtual time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from ingest.simulator.faults import FaultKind, FaultRule, OfflineMode, load_schedule
from ingest.simulator.server import SimulatorConfig

from .conftest import SMALL, Running, Serve, decode

BAND = SMALL.band_rows * 16


def _image(client: httpx.Client, running: Running, camera_id: str) -> np.ndarray:
    response = client.get(f"{running.url}/cam/{camera_id}/snapshot.jpg")
    assert response.status_code == 200
    return decode(response.content)


def _before_and_after(serve: Serve, fault: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """One camera's picture just before and just after `fault` is added, at the same instant."""
    with serve() as running, httpx.Client() as client:
        camera = running.open_camera().camera_id
        healthy = _image(client, running, camera)
        added = client.post(f"{running.url}/control/faults", json={**fault, "camera": camera})
        assert added.status_code == 201
        return healthy[BAND:], _image(client, running, camera)[BAND:]


def _red_over_green(image: np.ndarray) -> float:
    return float(image[:, :, 2].mean() / image[:, :, 1].mean())


def _sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@pytest.mark.parametrize(
    ("mode", "errors"),
    [
        (OfflineMode.RESET, (httpx.ReadError, httpx.RemoteProtocolError)),
        (OfflineMode.CLOSE, (httpx.RemoteProtocolError,)),
        (OfflineMode.HANG, (httpx.ReadTimeout,)),
    ],
)
def test_offline_camera_gives_no_answer(
    serve: Serve, mode: OfflineMode, errors: tuple[type[Exception], ...]
) -> None:
    config = SimulatorConfig(pool=SMALL, hang_s=2.0)
    with serve(config=config) as running:
        camera = running.open_camera()
        running.sim.add_faults([FaultRule(FaultKind.OFFLINE, camera=camera.camera_id, mode=mode)])
        with pytest.raises(errors):
            httpx.get(running.snapshot_url(camera), timeout=0.3)
        other = next(c for c in running.cameras.values() if c is not camera and not c.needs_auth)
        assert httpx.get(running.snapshot_url(other)).status_code == 200


def test_slow_camera_delays_its_answer(serve: Serve) -> None:
    with serve() as running:
        camera = running.open_camera()
        running.sim.add_faults([FaultRule(FaultKind.SLOW, camera=camera.camera_id, delay_s=0.3)])
        started = time.perf_counter()
        response = httpx.get(running.snapshot_url(camera))
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert 0.3 <= elapsed < 2.0


def test_auth_fault_refuses_good_credentials(serve: Serve) -> None:
    with serve() as running:
        camera = running.locked_camera()
        open_camera = running.open_camera()
        good = (camera.username, camera.password)
        assert httpx.get(running.snapshot_url(camera), auth=good).status_code == 200
        running.sim.add_faults(
            [
                FaultRule(FaultKind.AUTH, camera=camera.camera_id),
                FaultRule(FaultKind.AUTH, camera=open_camera.camera_id),
            ]
        )
        assert httpx.get(running.snapshot_url(camera), auth=good).status_code == 401
        assert httpx.get(running.snapshot_url(open_camera)).status_code == 401


def test_http_error_fault_answers_500(serve: Serve) -> None:
    with serve() as running:
        camera = running.open_camera()
        running.sim.add_faults([FaultRule(FaultKind.HTTP_ERROR, camera=camera.camera_id)])
        assert httpx.get(running.snapshot_url(camera)).status_code == 500


def test_frozen_picture_stays_while_the_clock_ticks(serve: Serve) -> None:
    with serve() as running, httpx.Client() as client:
        frozen, live = [c.camera_id for c in running.cameras.values() if not c.needs_auth][:2]
        running.sim.add_faults([FaultRule(FaultKind.FROZEN, camera=frozen, start_s=0)])
        before = {cam: _image(client, running, cam) for cam in (frozen, live)}
        running.clock.advance(3)
        after = {cam: _image(client, running, cam) for cam in (frozen, live)}
    below = BAND + 16  # chroma of the row next to the band is smoothed across the seam
    assert np.array_equal(before[frozen][below:], after[frozen][below:])
    assert not np.array_equal(before[frozen][:BAND], after[frozen][:BAND])  # OSD ticks
    assert not np.array_equal(before[live][below:], after[live][below:])


def test_black_picture_is_dark(serve: Serve) -> None:
    healthy, black = _before_and_after(serve, {"kind": "black"})
    assert healthy.mean() > 40
    assert black.mean() < 5


def test_blurred_picture_loses_detail(serve: Serve) -> None:
    healthy, blurred = _before_and_after(serve, {"kind": "blurred", "sigma": 8})
    assert _sharpness(blurred) < 0.2 * _sharpness(healthy)


def test_covered_picture_hides_the_covered_side(serve: Serve) -> None:
    healthy, covered = _before_and_after(
        serve, {"kind": "covered", "fraction": 0.5, "side": "left"}
    )
    width = healthy.shape[1]
    left, right = slice(0, width // 3), slice(2 * width // 3, width)
    assert covered[:, left].std() < 0.5 * healthy[:, left].std()
    assert np.abs(covered[:, right].astype(int) - healthy[:, right]).mean() < 4


def test_translucent_cover_lets_some_scene_through(serve: Serve) -> None:
    healthy, covered = _before_and_after(serve, {"kind": "covered", "opacity": 0.5})
    assert np.abs(covered.astype(int) - healthy).mean() > 2
    assert np.corrcoef(covered.ravel(), healthy.ravel())[0, 1] > 0.3


def test_moved_view_shifts_the_scene(serve: Serve) -> None:
    healthy, moved = _before_and_after(serve, {"kind": "moved", "dx": 0.2, "degrees": 0})
    shift = round(0.2 * healthy.shape[1])
    assert np.abs(moved.astype(int) - healthy).mean() > 8
    # The scene moved right by `shift` pixels: the shifted copy matches the original.
    aligned = np.abs(moved[:, shift:].astype(int) - healthy[:, :-shift]).mean()
    assert aligned < 4


def test_color_cast_tints_the_picture(serve: Serve) -> None:
    healthy, cast = _before_and_after(serve, {"kind": "color_cast", "gains": [1.0, 0.6, 1.6]})
    assert _red_over_green(cast) > 1.8 * _red_over_green(healthy)


def test_noise_adds_grain(serve: Serve) -> None:
    healthy, noisy = _before_and_after(serve, {"kind": "noise", "sigma": 25})
    residual = noisy.astype(float) - healthy
    assert residual.std() > 12
    assert abs(residual.mean()) < 5


def test_schedule_file_drives_faults_over_virtual_time(serve: Serve, tmp_path: Path) -> None:
    with serve() as running:
        cameras = [c for c in running.cameras.values() if not c.needs_auth]
        target = cameras[0]
        banner = target.district_code[:6]
        bystander = next(c for c in cameras if not c.district_code.startswith(banner))
        schedule = tmp_path / "faults.yaml"
        schedule.write_text(
            f"faults:\n  - {{kind: http_error, district: '{banner}', start: 10, end: 20}}\n"
        )
        running.sim.add_faults(load_schedule(schedule))
        statuses = []
        for _ in range(3):
            running.clock.advance(8)  # 8, 16, 24 s after start
            statuses.append(
                (
                    httpx.get(running.snapshot_url(target)).status_code,
                    httpx.get(running.snapshot_url(bystander)).status_code,
                )
            )
    assert statuses == [(200, 200), (500, 200), (200, 200)]


def test_faults_given_at_start_apply(serve: Serve, inventory_dir: Path) -> None:
    rules = [FaultRule(FaultKind.HTTP_ERROR, district="15", start_s=5)]
    with serve(faults=rules) as running:
        url = running.snapshot_url(running.open_camera())
        assert httpx.get(url).status_code == 200
        running.clock.advance(5)
        assert httpx.get(url).status_code == 500
