"""`gridwatch analyze` on a small image sequence written for the test."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from cli.analyze import analyze

from .scenes import render, scene

FRAMES = 30


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    application.command()(analyze)
    return application


@pytest.fixture
def sequence(tmp_path: Path) -> str:
    rng = np.random.default_rng(0)
    picture = np.asarray(cv2.resize(scene(), (320, 180), interpolation=cv2.INTER_AREA), np.uint8)
    for index in range(FRAMES):
        frame = picture.copy()
        if index >= 10:
            x = 20 + 8 * (index - 10)
            frame[60:110, x : x + 40] = 245
        cv2.imwrite(str(tmp_path / f"in{index:04d}.png"), render(frame, rng))
    return str(tmp_path / "in%04d.png")


def test_json_lines_count_input_frames(app: typer.Typer, sequence: str, tmp_path: Path) -> None:
    masks = tmp_path / "masks"
    result = CliRunner().invoke(app, [sequence, "--every", "3", "--json", "--masks", str(masks)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["frame"] for r in records] == list(range(0, FRAMES, 3))
    assert set(records[0]) == {"frame", "t", "motion", "raised", "cleared"}
    moving = [r for r in records if r["frame"] >= 15]
    assert all(r["motion"]["area"] > 0 for r in moving)
    assert all(len(box) == 4 for r in moving for box in r["motion"]["boxes"])
    written = sorted(p.name for p in masks.iterdir())
    assert written == [f"{n:06d}.png" for n in range(0, FRAMES, 3)]
    mask = cv2.imread(str(masks / "000021.png"), cv2.IMREAD_GRAYSCALE)
    assert mask is not None
    assert mask.shape == (180, 320)
    assert mask[85, 20 + 8 * 11 + 20] == 255


def test_fps_sets_video_time(app: typer.Typer, sequence: str) -> None:
    result = CliRunner().invoke(app, [sequence, "--every", "5", "--json", "--fps", "2"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["t"] for r in records] == [n / 2 for n in range(0, FRAMES, 5)]


def test_readable_summary(app: typer.Typer, sequence: str) -> None:
    result = CliRunner().invoke(app, [sequence])
    assert result.exit_code == 0, result.output
    assert "30 frames analyzed" in result.output
    assert "motion.start" in result.output


def test_unopenable_source_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [str(tmp_path / "missing.avi")])
    assert result.exit_code == 2
    assert "cannot open" in result.output
