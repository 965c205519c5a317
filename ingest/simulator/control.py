"""The simulator's control API: script faults at run time, read what was served.

GET    /control/faults        rules with their ids and whether each is active now
POST   /control/faults        add rules: one rule, a list, or {"faults": [...]} (JSON)
DELETE /control/faults        remove every rule
DELETE /control/faults/{id}   remove one rule
GET    /control/stats         requests served, per-status and per-kind counts, pool size
GET    /                      what this server is
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ingest.simulator.faults import FaultSpecError, parse_rules

if TYPE_CHECKING:
    from ingest.simulator.server import CameraSimulator

MAX_BODY = 1 << 20


def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        payload, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False)
    )


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


def list_faults(sim: CameraSimulator) -> dict[str, Any]:
    elapsed = sim.elapsed()
    rules = [
        {"id": rule_id, **rule.to_json(), "active": rule.active_at(elapsed)}
        for rule_id, rule in sim.faults.items()
    ]
    return {"elapsed_s": round(elapsed, 3), "faults": rules}


def stats(sim: CameraSimulator) -> dict[str, Any]:
    return {
        **sim.stats.to_json(),
        "cameras": sim.camera_count,
        "uptime_s": round(sim.elapsed(), 3),
        "pool": {
            "scenes": sim.pool.scene_count,
            "entries": sim.pool.entries(),
            "bytes": sim.pool.memory_bytes(),
        },
    }


async def _add(request: web.BaseRequest, sim: CameraSimulator) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(413, "request body too large")
    raw = await request.read()
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, f"body is not JSON: {exc}")
    try:
        rules = parse_rules(document)
    except FaultSpecError as exc:
        return _error(400, str(exc))
    ids = sim.add_faults(rules)
    return _json({"ids": ids, "faults": [rule.to_json() for rule in rules]}, 201)


async def handle(request: web.BaseRequest, sim: CameraSimulator) -> web.Response:
    path, method = request.path.rstrip("/") or "/", request.method
    if path == "/" and method == "GET":
        return _json({"service": "gridwatch camera simulator", "cameras": sim.camera_count})
    if path == "/control/stats" and method == "GET":
        return _json(stats(sim))
    if path == "/control/probers" and method == "GET":
        return _json({"cameras": sim.probers.to_json()})
    if path == "/control/faults":
        if method == "GET":
            return _json(list_faults(sim))
        if method == "POST":
            return await _add(request, sim)
        if method == "DELETE":
            return _json({"removed": sim.faults.clear()})
        return _error(405, "use GET, POST or DELETE")
    if path.startswith("/control/faults/") and method == "DELETE":
        tail = path.removeprefix("/control/faults/")
        if not tail.isdigit():
            return _error(400, "fault id must be a number")
        if not sim.faults.remove(int(tail)):
            return _error(404, f"no fault {tail}")
        return _json({"removed": 1})
    return _error(404, "not found")
