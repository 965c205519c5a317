"""A private PostgreSQL cluster for reliability tests that stop and restart the database.

The machine's shared PostgreSQL serves other tests and helpers, so it is never touched:
`initdb` makes a throw-away cluster in a temporary folder, listening on a free port on
the addresses given (127.0.0.1, and a veth address for the partition scenario), with
trust authentication. Run as root, the server runs as the `postgres` user (PostgreSQL
refuses root), so the folder is created outside pytest's private tmp tree and chowned.

Without the Debian binaries the test skips on a developer machine and fails under CI.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from bus.embedded_broker import free_port
from registry.db import make_engine

INSTALL_HINT = "PostgreSQL server binaries missing (apt-get install postgresql)"
DATABASE = "gridwatch"


def postgres_bin() -> Path:
    """The newest /usr/lib/postgresql/*/bin; skip without it (fail under CI=true)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true and {INSTALL_HINT}", pytrace=False)
        pytest.skip(INSTALL_HINT)
    return Path(found[-1]).parent


def _version(initdb: str) -> float:
    try:
        return float(Path(initdb).parts[-3])
    except ValueError:
        return 0.0


class PrivatePostgres:
    """One cluster: `start()`, `restart()`, `stop()`; `url(host)` names its database."""

    def __init__(self, folder: Path, hosts: tuple[str, ...] = ("127.0.0.1",)) -> None:
        self.bin = postgres_bin()
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.hosts = hosts
        self.port = free_port()
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str, timeout_s: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}"
                f"\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def url(self, host: str = "127.0.0.1", database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@{host}:{self.port}/{database}"

    def start(self) -> PrivatePostgres:
        if self._as_root:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip
        # Clients on loopback, and on the /30 veth link of any other address it listens on.
        hba = [f"host all all {host}/{32 if host.startswith('127.') else 30} trust"
               for host in self.hosts]  # fmt: skip
        with (self.data / "pg_hba.conf").open("a") as conf:
            conf.write("\n".join(hba) + "\n")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '{','.join(self.hosts)}'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\nfsync = off\n"
                "max_connections = 100\n"
            )
        self._pg_ctl("start")
        admin = make_engine(self.url(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        finally:
            admin.dispose()
        return self

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", *options)  # fmt: skip

    def restart(self) -> None:
        """A real restart: every connection is cut (fast shutdown), then the server returns."""
        self._pg_ctl("restart", "-m", "fast")

    def stop_server(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def start_server(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate")


@contextmanager
def private_postgres(hosts: tuple[str, ...] = ("127.0.0.1",)) -> Iterator[PrivatePostgres]:
    """A started cluster, stopped and deleted afterwards whatever happened."""
    bin_folder = postgres_bin()  # skip before making anything
    folder = Path(tempfile.mkdtemp(prefix="gridwatch-pg-"))
    server = PrivatePostgres(folder, hosts)
    assert server.bin == bin_folder
    try:
        yield server.start()
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
