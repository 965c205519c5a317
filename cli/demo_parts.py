"""The demo's parts as child processes: started one after another, each waited for until
it says it is ready, and stopped one at a time by SIGTERM.

Each child runs in its own session, so the terminal's Ctrl-C reaches only the demo,
which then stops them in order; on Linux each is also told to stop if the demo dies.
Their output is printed with the part's name in front.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

PR_SET_PDEATHSIG = 1
GRIDWATCH = (sys.executable, "-m", "cli.main")


class PartFailed(RuntimeError):
    """A part exited or did not get ready; the message carries its last lines."""


# Looked up once here: the child, between fork and exec, only calls it.
_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


class Part:
    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        console: Console,
        *,
        quiet: Callable[[str], bool] = lambda _line: False,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.env = env
        self.console = console
        self.quiet = quiet
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> Part:
        self.process = subprocess.Popen(
            self.args,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            cwd=Path(__file__).resolve().parents[1],
        )
        self._reader = threading.Thread(target=self._read, name=f"demo-{self.name}", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.lines.append(line)
            if not self.quiet(line):
                self.console.print(f"   [dim]{self.name:>9} │[/dim] {escape(line)}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, count: int = 15) -> str:
        return "\n".join(self.lines[-count:])

    def wait_until(self, ready: Callable[[], bool], what: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            if not self.alive():
                raise PartFailed(f"{self.name} exited before {what}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise PartFailed(f"{self.name}: no {what} after {timeout_s:g} s:\n{self.tail()}")
            time.sleep(0.1)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM, then wait; a part that does not stop in time is killed (exit -9)."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if self._reader is not None:
            self._reader.join(5)
        return code


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
