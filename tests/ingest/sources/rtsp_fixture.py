"""Starts tests/ingest/sources/rtsp_server.py (GStreamer, system Python) as a subprocess."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
INSTALL_HINT = (
    "the RTSP test server packages are missing: GStreamer's RTSP server must be importable "
    f"by {SYSTEM_PYTHON} (gi + GstRtspServer 1.0, x264enc). Install them with "
    "`bash .ci/install-rtsp-deps` (apt-get install --no-install-recommends "
    "gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base "
    "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)"
)


def rtsp_server_missing() -> str | None:
    """None when the GStreamer RTSP server can run here, else why not."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} does not exist; {INSTALL_HINT}"
    probe = (
        "import gi; gi.require_version('GstRtspServer', '1.0'); gi.require_version('Gst', '1.0');"
        "from gi.repository import Gst; Gst.init(None);"
        "assert Gst.ElementFactory.find('x264enc'), 'x264enc'"
    )
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        return f"{INSTALL_HINT} (probe said: {last})"
    return None


@dataclass
class RtspTestServer:
    process: subprocess.Popen[str]
    port: int
    path: str

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_rtsp_server(
    *args: str, user: str | None = None, password: str | None = None, timeout_s: float = 20
) -> RtspTestServer:
    """Start the server with extra `args` and wait for its READY line."""
    env = dict(os.environ)
    if user is not None and password is not None:
        env.update(RTSP_TEST_USER=user, RTSP_TEST_PASSWORD=password)
    process = subprocess.Popen(
        [SYSTEM_PYTHON, str(SERVER_SCRIPT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if not ready:
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip())
        if line.startswith("READY "):
            _, port, path = line.split()
            return RtspTestServer(process, int(port), path)
    process.kill()
    process.wait(5)
    raise RuntimeError(f"RTSP test server did not start: {seen[-5:]}")
