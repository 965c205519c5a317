"""A network namespace joined to the host by one veth pair, for partition tests.

The host side is HOST_ADDRESS/30, the namespace side NS_ADDRESS/30: a process run with
`ns.command(...)` reaches services that listen on HOST_ADDRESS and nothing else (no
route leaves the pair, so no traffic leaves the machine). `cut()` takes the
namespace's end down (the host's end and its address stay, so processes in the root
namespace keep reaching HOST_ADDRESS); `heal()` brings it back. Everything is removed
in `finally`, whatever happened. Needs root and `ip`: skips without (fails under CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

HOST_ADDRESS = "10.213.7.1"
NS_ADDRESS = "10.213.7.2"


def require_netns() -> str:
    """The `ip` binary; skip without it or without root (fail under CI=true)."""
    ip = shutil.which("ip")
    problem = None
    if ip is None:
        problem = "`ip` missing (apt-get install iproute2)"
    elif os.geteuid() != 0:
        problem = "network namespaces need root"
    if problem is not None:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true and {problem}", pytrace=False)
        pytest.skip(problem)
    assert ip is not None
    return ip


class Namespace:
    def __init__(self, ip: str) -> None:
        tag = uuid.uuid4().hex[:6]
        self.ip = ip
        self.name = f"gwpart{tag}"
        self.host_dev = f"gwh{tag}"  # device names: 15 characters at most
        self.ns_dev = f"gwn{tag}"

    def _ip(self, *args: str, inside: bool = False) -> None:
        command = [self.ip, *(["netns", "exec", self.name, self.ip] if inside else []), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")

    def create(self) -> None:
        self._ip("netns", "add", self.name)
        self._ip("link", "add", self.host_dev, "type", "veth", "peer", "name", self.ns_dev)
        self._ip("link", "set", self.ns_dev, "netns", self.name)
        self._ip("addr", "add", f"{HOST_ADDRESS}/30", "dev", self.host_dev)
        self._ip("link", "set", self.host_dev, "up")
        self._ip("addr", "add", f"{NS_ADDRESS}/30", "dev", self.ns_dev, inside=True)
        self._ip("link", "set", "lo", "up", inside=True)
        self._ip("link", "set", self.ns_dev, "up", inside=True)

    def command(self, *args: str) -> list[str]:
        """`args` run inside the namespace."""
        return [self.ip, "netns", "exec", self.name, *args]

    def cut(self) -> None:
        self._ip("link", "set", self.ns_dev, "down", inside=True)

    def heal(self) -> None:
        self._ip("link", "set", self.ns_dev, "up", inside=True)

    def remove(self) -> None:
        for args in (("netns", "del", self.name), ("link", "del", self.host_dev)):
            subprocess.run([self.ip, *args], capture_output=True, timeout=30)


@contextmanager
def partitionable_namespace() -> Iterator[Namespace]:
    namespace = Namespace(require_netns())
    try:
        namespace.create()
        yield namespace
    finally:
        namespace.remove()
