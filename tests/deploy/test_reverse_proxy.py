"""The production recipe `config/nginx/gridwatch.conf`, run for real: nginx terminates TLS
in front of a `gridwatch api` process, passes REST calls with the caller's token and
upgrades the change-feed WebSocket, which then carries a change made through the proxy.

Only the listen address, the certificate paths and the upstream port of the committed
file are replaced. nginx comes from Debian (`bash .ci/install-deploy-deps`); without it
the test skips, except under CI, where it fails."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
import httpx
import pytest

from bus.embedded_broker import free_port
from tests.conftest import REPO
from tests.ingest.sources.tls import write_self_signed
from tests.processes import GRIDWATCH, League, Running, query

pytestmark = pytest.mark.slow
SNIPPET = REPO / "config" / "nginx" / "gridwatch.conf"
PASSWORD = "correct horse battery"
NGINX_HINT = "nginx is not installed: run `bash .ci/install-deploy-deps` (Debian's nginx)"


def _nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test the reverse-proxy recipe, but {NGINX_HINT}")
        pytest.skip(NGINX_HINT)
    return found


class Proxy(NamedTuple):
    base: str  # https://127.0.0.1:<port>, nginx
    tls: ssl.SSLContext  # trusts the throwaway certificate nginx presents


def _site(directory: Path, listen_port: int, api_port: int) -> tuple[Path, Path]:
    """The committed snippet with this machine's ports and a throwaway certificate."""
    cert, key = write_self_signed(directory)
    site = SNIPPET.read_text(encoding="utf-8")
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{listen_port} ssl;",
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{api_port};",
        "/etc/gridwatch/tls/fullchain.pem": str(cert),
        "/etc/gridwatch/tls/privkey.pem": str(key),
    }
    for old, new in replacements.items():
        assert site.count(old) == 1, f"the recipe no longer holds {old!r}"
        site = site.replace(old, new)
    (directory / "gridwatch.conf").write_text(site, encoding="utf-8")
    main = directory / "nginx.conf"
    main.write_text(
        f"pid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log info;\n"
        "events {}\n"
        "http {\n"
        f"  access_log {directory}/access.log;\n"
        f"  client_body_temp_path {directory}/body;\n"
        f"  proxy_temp_path {directory}/proxy;\n"
        f"  include {directory}/gridwatch.conf;\n"
        "}\n",
        encoding="utf-8",
    )
    return main, cert


@pytest.fixture
def proxied_api(league: League, tmp_path: Path) -> Iterator[Proxy]:
    nginx = _nginx()
    env, database, _simulator = league
    (root,) = query(database, "SELECT code FROM districts WHERE parent_code IS NULL")
    added = subprocess.run(
        [*GRIDWATCH, "users", "add", "chief", "--role", "admin", "--district", str(root[0]),
         "--password-stdin"],
        env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    api_port, listen_port = free_port(), free_port()
    api = Running(["api", "--port", str(api_port)], env)
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    config, cert = _site(proxy_dir, listen_port, api_port)
    tls = ssl.create_default_context(cafile=str(cert))
    checked = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"])
    base = f"https://127.0.0.1:{listen_port}"
    try:
        api.wait_for(lambda: _answers(f"{base}/healthz", tls), "the API answering through nginx")
        yield Proxy(base, tls)
    finally:
        proxy.terminate()
        proxy.wait(10)
        api.stop()


def _answers(url: str, tls: ssl.SSLContext) -> bool:
    try:
        return httpx.get(url, verify=tls, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _login(proxy: Proxy) -> str:
    answer = httpx.post(
        f"{proxy.base}/api/v1/auth/login",
        json={"username": "chief", "password": PASSWORD},
        verify=proxy.tls,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def _feed_change_through_proxy(proxy: Proxy, token: str) -> dict[str, Any]:
    base, context = proxy
    ws_url = base.replace("https://", "wss://") + "/api/v1/ws"
    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, ssl=context) as ws:
        await ws.send_json({"type": "auth", "token": token, "after": None})
        ready = await ws.receive_json(timeout=10)
        assert ready["type"] == "ready", ready
        cameras = await session.get(
            f"{base}/api/v1/cameras", headers={"Authorization": f"Bearer {token}"}, ssl=context
        )
        camera_id = (await cameras.json())["items"][0]["id"]
        patched = await session.patch(
            f"{base}/api/v1/cameras/{camera_id}",
            json={"enabled": False},
            headers={"Authorization": f"Bearer {token}"},
            ssl=context,
        )
        assert patched.status == 200, await patched.text()
        while True:
            message: dict[str, Any] = json.loads((await ws.receive(timeout=15)).data)
            if message.get("type") == "change" and message["entity_id"] == camera_id:
                return message


def test_rest_and_the_change_feed_websocket_pass_the_proxy(
    proxied_api: Proxy,
) -> None:
    base, tls = proxied_api
    assert httpx.get(f"{base}/api/v1/cameras", verify=tls).status_code == 401
    token = _login(proxied_api)
    listed = httpx.get(
        f"{base}/api/v1/cameras", headers={"Authorization": f"Bearer {token}"}, verify=tls
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"], "the league's cameras, through the proxy"
    assert httpx.get(f"{base}/readyz", verify=tls).status_code == 200
    change = asyncio.run(_feed_change_through_proxy(proxied_api, token))
    assert change["kind"] == "camera"
    assert change["payload"]["op"] == "updated"
