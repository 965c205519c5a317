"""`gridwatch bench api`: API latency on a simulated league, in-process (no network).

Measured: the district tree with roll-ups as a league administrator (the heaviest read:
every camera's status and today's probe counts summed up the tree) against a naive
baseline of one count query per district node, measured in the same run; camera search
and single-camera reads as a league administrator and as a township handler; and the cost
of encrypting and decrypting a camera password.
"""

from __future__ import annotations

import itertools
import logging
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from alerts.engine import Engine as AlertEngine
from alerts.models import AlertRow
from alerts.policy import Policy
from alerts.service import AlertService
from alerts.topology import load_topology
from api.app import create_app
from api.auth import access_tokens
from api.auth.principal import Scope
from api.queries import keyset
from api.queries.alerts import KEY_SHAPE, AlertFilter, search_alerts
from benchmarks.bulk import Step, column_names, load_rows
from benchmarks.db_size import rows_per_gb, tables_bytes
from benchmarks.feed_latency import feed_latencies, feed_url, serving
from bus.event_ids import make_event_id
from bus.events import Event, EventType
from config.settings import Settings
from ingest.schedule.percentiles import percentile
from ingest.simulator.inventory import write_inventory
from ingest.stores.tables import CameraHealth, CameraHealthDaily
from registry.auth_tables import Role, User
from registry.db import make_engine, make_session_factory, transaction
from registry.importer import import_inventory
from registry.migrate import upgrade
from registry.models import Camera, District
from registry.scratch import scratch_database_url
from registry.secrets import CredentialCipher
from registry.tree import cameras_under, count_cameras_under, district_path

Report = Callable[[str], None]
STATUSES = (("online", 0.9), ("degraded", 0.04), ("offline", 0.05), ("unknown", 0.01))


def _health(factory: Any, now: datetime, seed: int = 7) -> None:
    rng = random.Random(seed)
    with transaction(factory) as session:
        ids = list(session.scalars(select(Camera.id)))
        current, daily = [], []
        for camera_id in ids:
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            if status != "unknown":
                current.append(
                    {
                        "camera_id": camera_id, "status": status,
                        "faults": {"BLURRED": {}} if status == "degraded" else {},
                        "status_since": now - timedelta(hours=1), "last_probe_at": now,
                        "last_good_at": now, "last_failure": None,
                        "consecutive_failures": 0, "worker_id": "bench",
                    }
                )  # fmt: skip
            daily.append(
                {"camera_id": camera_id, "day": now.date(), "probes": 1440,
                 "online": 0 if status == "offline" else 1400, "faulty": 0}
            )  # fmt: skip
        session.execute(insert(CameraHealth), current)
        session.execute(insert(CameraHealthDaily), daily)


QUEUE_PAGE = 50
DEEP_ROWS = 10_000


ALERT_CHUNK = 20_000


def _alert_rows(
    cameras: list[tuple[str, str]], count: int, now: datetime
) -> Iterator[tuple[Any, ...]]:
    """`count` alert rows over the league's cameras, a tenth of them firing: the table a
    busy hub has after months."""
    rng = random.Random(5)
    kinds = ("offline", "fault", "auth")
    names = column_names(AlertRow)
    for n in range(count):
        camera_id, district = cameras[n % len(cameras)]
        started = now - timedelta(seconds=rng.randrange(0, 180 * 86_400))
        firing = rng.random() < 0.1
        kind = kinds[n % 3]
        values: dict[str, Any] = dict.fromkeys(names)
        values.update(
            id=f"{n:032x}", fingerprint=f"{kind}:camera:{camera_id}:{n}", kind=kind,
            scope="camera", subject=camera_id, district_code=district, camera_id=camera_id,
            status="firing" if firing else "resolved", started_at=started,
            last_seen_at=started, last_ts=started,
            resolved_at=None if firing else started + timedelta(minutes=30),
            count=1, flapping=False, changes=[], visible_at=started,
            priority=rng.randrange(0, 100), severity="minor", summary=kind,
            members=0, total=0, revision=1, updated_at=now,
        )  # fmt: skip
        yield tuple(values[name] for name in names)


def _alerts(
    engine: Engine, cameras: list[tuple[str, str]], count: int, now: datetime, report: Report
) -> None:
    """Load the alerts in bulk (COPY on PostgreSQL), as the service's own store batches."""
    rows = _alert_rows(cameras, count, now)

    def steps() -> Iterator[Step]:
        for loaded in range(0, count, ALERT_CHUNK):
            yield [(AlertRow, list(itertools.islice(rows, ALERT_CHUNK)))]
            if loaded and loaded % (ALERT_CHUNK * 10) == 0:
                report(f"  {loaded:,} alerts loaded")

    load_rows(engine, steps())


def _queue_pages(client: TestClient, headers: dict[str, str], requests: int) -> dict[str, Any]:
    """p99 of the first page, and of a page DEEP_ROWS rows deep reached by its cursor."""
    first = _timed(client, [f"/api/v1/alerts?limit={QUEUE_PAGE}"] * requests, headers)
    cursor = None
    for _ in range(DEEP_ROWS // QUEUE_PAGE):
        query = f"/api/v1/alerts?limit={QUEUE_PAGE}" + (f"&cursor={cursor}" if cursor else "")
        cursor = client.get(query, headers=headers).json()["next_cursor"]
    deep = _timed(client, [f"/api/v1/alerts?limit={QUEUE_PAGE}&cursor={cursor}"] * requests,
                  headers)  # fmt: skip
    return {"first_p99_ms": first["p99_ms"], "deep_p99_ms": deep["p99_ms"], "cursor": cursor}


def _p99_ms(run: Callable[[], object], requests: int) -> float:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.99)


def _deep_in_database(factory: Any, root_code: str, cursor: str, requests: int) -> dict[str, float]:
    """The deep page in the database alone: by its cursor (the API's query) against the
    baseline, the same rows by OFFSET; p99 over `requests` runs each."""
    after = keyset.decode(cursor, "alerts", KEY_SHAPE)
    by_offset = (
        select(AlertRow)
        .join(District, District.code == AlertRow.district_code)
        .order_by(AlertRow.priority.desc(), AlertRow.started_at.desc(), AlertRow.id.desc())
        .offset(DEEP_ROWS)
        .limit(QUEUE_PAGE + 1)
    )
    now = datetime.now(UTC)
    with factory() as session:
        root = Scope(root_code, district_path(session, root_code) or "")
        paged = search_alerts(session, root, AlertFilter(), now, after, QUEUE_PAGE)[0]
        assert [r.id for r in paged] == [r.id for r in session.scalars(by_offset)][:QUEUE_PAGE]
        return {
            "keyset_ms": _p99_ms(
                lambda: search_alerts(session, root, AlertFilter(), now, after, QUEUE_PAGE),
                requests,
            ),
            "offset_ms": _p99_ms(lambda: session.scalars(by_offset).all(), requests),
        }


WS_CLIENTS = 200
WS_ROUNDS = 10
FAULTS = ("BLURRED", "FROZEN", "TOO_DARK", "OVEREXPOSED", "OCCLUDED", "MOVED", "NOISY")


def _publisher(factory: Any, cameras: list[str]) -> Callable[[], str]:
    """Store one new alert per call through the alert service, as its consumer does (a
    picture fault on the next camera; no hold, so it fires and is announced at once)."""
    with factory() as session:
        topology = load_topology(session, 3)
    service = AlertService(
        factory, lambda: AlertEngine(Policy(hold_s=0, group_hold_s=0), topology),
        lambda: datetime.now(UTC),
    )  # fmt: skip
    service.load()
    sent = itertools.count(1)

    def publish() -> str:
        seq = next(sent)
        # A fresh (camera, fault) each time: a repeat would change nothing anyone sees.
        camera_id = cameras[seq % len(cameras)]
        code = FAULTS[seq // len(cameras) % len(FAULTS)]
        ts = datetime.now(UTC)
        event = Event(
            event_id=make_event_id(ts, "bench-feed", seq), type=EventType.HEALTH_FAULT,
            camera_id=camera_id, district_code=topology.cameras[camera_id].district_code,
            ts=ts, worker_id="bench-feed", seq=seq,
            data={"code": code, "value": 1.0, "threshold": 2.0},
        )  # fmt: skip
        service.process([event])
        with factory() as session:
            alert_id = session.scalar(
                select(AlertRow.id).where(
                    AlertRow.camera_id == camera_id, AlertRow.code == code,
                    AlertRow.status == "firing",
                )
            )  # fmt: skip
        assert alert_id is not None, camera_id
        return str(alert_id)

    return publish


def _feed_clients(
    factory: Any, clients: int, districts: list[tuple[Role, str]], now: datetime
) -> list[int]:
    """`clients` users, each its own login, cycling over the scopes in `districts`."""
    return [
        _user(factory, f"bench-feed-{n}", role, district, now)
        for n, (role, district) in zip(range(clients), itertools.cycle(districts), strict=False)
    ]


def _feed_figures(
    factory: Any, folder: Path, clients: int, now: datetime, report: Report
) -> dict[str, Any]:
    """p99 from storing a new alert to its change reaching each of `clients` feed clients
    (league admins, banner operators and township handlers over the alert's township, the
    one with the most cameras), against one client alone in the same run."""
    if not clients:
        return {"ws_clients": 0, "ws_p99_ms": 0.0, "ws_one_client_p99_ms": 0.0}
    with factory() as session:
        townships = session.execute(select(District.code, District.path).where(District.level == 3))
        township, path = max(townships, key=lambda row: count_cameras_under(session, row[1]))
        banner = session.scalar(select(District.parent_code).where(District.code == township))
        root = session.scalar(select(District.code).where(District.level == 1))
        cameras = list(session.scalars(cameras_under(path).order_by(Camera.id)))
    assert banner is not None
    assert root is not None
    scopes = [(Role.ADMIN, root), (Role.OPERATOR, banner), (Role.HANDLER, township)]
    users = _feed_clients(factory, clients, scopes, now)
    # The alert consumer is another process: publish through an engine of its own, so a
    # commit cannot wake the API's feed poller in-process (which would flatter it).
    consumer_engine = make_engine(factory.kw["bind"].url.render_as_string(hide_password=False))
    publish = _publisher(make_session_factory(consumer_engine), cameras)
    app = create_app(Settings(data_dir=folder / "feed"), factory, lambda: datetime.now(UTC))
    key = app.state.context.signing_key
    tokens = [access_tokens.issue(key, user_id, now, 3600) for user_id in users]
    try:
        with serving(app) as base_url:
            url = feed_url(base_url)
            alone = percentile(feed_latencies(url, tokens[:1], publish, WS_ROUNDS * 4), 0.99)
            everyone = feed_latencies(url, tokens, publish, WS_ROUNDS)
    finally:
        consumer_engine.dispose()
    p99 = percentile(everyone, 0.99)
    report(
        f"feed: a new alert reached {clients} WebSocket clients in p50 "
        f"{percentile(everyone, 0.5):.0f} ms, p99 {p99:.0f} ms, max {max(everyone):.0f} ms "
        f"({len(everyone)} receipts); one client alone p99 {alone:.0f} ms "
        f"({p99 / alone:.1f}× with {clients})"
    )
    return {"ws_clients": clients, "ws_p99_ms": round(p99, 1),
            "ws_one_client_p99_ms": round(alone, 1)}  # fmt: skip


def _user(factory: Any, name: str, role: Role, district: str, now: datetime) -> int:
    with transaction(factory) as session:
        user = User(
            username=name, display_name=name, password_hash="!",  # noqa: S106 - no login: cannot match any password
            role=role.value,
            district_code=district, department_id=None, disabled=False,
            created_at=now - timedelta(days=1), tokens_valid_after=now - timedelta(days=1),
        )  # fmt: skip
        session.add(user)
        session.flush()
        return user.id


def _timed(client: TestClient, paths: list[str], headers: dict[str, str]) -> dict[str, float]:
    for path in paths[:3]:
        client.get(path, headers=headers)  # warm caches
    times = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return {"p50_ms": percentile(times, 0.5), "p99_ms": percentile(times, 0.99)}


def _naive_rollup_ms(factory: Any) -> float:
    """Baseline: one count query per district node (what a first cut would do)."""
    with factory() as session:
        paths = list(session.scalars(select(District.path)))
        start = time.perf_counter()
        for path in paths:
            count_cameras_under(session, path)
        return (time.perf_counter() - start) * 1000


def _fernet_us() -> tuple[float, float]:
    cipher = CredentialCipher([Fernet.generate_key()])
    start = time.perf_counter()
    tokens = [cipher.encrypt(f"Sim{n:07d}") for n in range(5000)]
    encrypt_us = (time.perf_counter() - start) / 5000 * 1e6
    start = time.perf_counter()
    for token in tokens:
        cipher.decrypt(token)
    return encrypt_us, (time.perf_counter() - start) / 5000 * 1e6


def run(
    cameras: int = 43_000, requests: int = 60, database_url: str | None = None,
    report: Report = print, alerts: int = 0, ws_clients: int = WS_CLIENTS,
) -> dict[str, Any]:  # fmt: skip
    now = datetime.now(UTC)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    with tempfile.TemporaryDirectory(prefix="gridwatch-bench-api-") as tmp:
        folder = Path(tmp)
        report(f"simulated league of {cameras} cameras …")
        write_inventory(folder / "inventory", cameras)
        with scratch_database_url(database_url, folder, "gridwatch_bench_api") as url:
            engine = make_engine(url)
            upgrade(engine)
            factory = make_session_factory(engine, CredentialCipher.generate())
            import_inventory(factory, folder / "inventory")
            _health(factory, now)
            with factory() as session:
                root = session.scalar(select(District.code).where(District.level == 1))
                township = session.scalar(
                    select(District.code).where(District.level == 3).order_by(District.code)
                )
                located = (
                    session.execute(select(Camera.id, Camera.district_code).order_by(Camera.id))
                    .tuples()
                    .all()
                )
                ids = [camera_id for camera_id, _ in located]
                districts = int(session.scalar(select(func.count()).select_from(District)) or 0)
            assert root is not None
            assert township is not None
            admin = _user(factory, "bench-admin", Role.ADMIN, root, now)
            handler = _user(factory, "bench-handler", Role.HANDLER, township, now)
            if alerts:
                report(f"{alerts:,} alerts …")
                started = time.perf_counter()
                _alerts(engine, list(located), alerts, now, report)
                seed_s = time.perf_counter() - started
                report(f"  loaded and analysed in {seed_s:.1f} s")
            app = create_app(Settings(data_dir=folder / "data"), factory, lambda: now)
            key = app.state.context.signing_key

            def auth(user_id: int) -> dict[str, str]:
                return {"Authorization": f"Bearer {access_tokens.issue(key, user_id, now, 3600)}"}

            rng = random.Random(11)
            with TestClient(app) as client:
                tree = _timed(client, ["/api/v1/districts"] * requests, auth(admin))
                report(f"district tree with roll-ups, {districts} nodes, league admin: {tree}")
                naive = min(_naive_rollup_ms(factory) for _ in range(3))
                report(
                    f"baseline, one count per node: {naive:.0f} ms "
                    f"({naive / tree['p50_ms']:.1f}× the roll-up's p50, and it counts cameras only)"
                )
                search = [
                    f"/api/v1/cameras?status=offline&limit=100&offset={rng.randrange(0, 500)}"
                    for _ in range(requests)
                ]
                search_admin = _timed(client, search, auth(admin))
                search_handler = _timed(client, search, auth(handler))
                report(f"camera search, league admin: {search_admin}; township: {search_handler}")
                picks = [f"/api/v1/cameras/{rng.choice(ids)}" for _ in range(requests)]
                get_admin = _timed(client, picks, auth(admin))
                report(f"one camera by id, league admin: {get_admin}")
                queue = _queue_pages(client, auth(admin), requests) if alerts else {}
            deep = (
                _deep_in_database(factory, root, queue["cursor"], requests)
                if alerts
                else {"keyset_ms": 0.0, "offset_ms": 0.0}
            )
            if alerts:
                report(
                    f"alert queue, league admin, through the API: first page p99 "
                    f"{queue['first_p99_ms']:.1f} ms, {DEEP_ROWS:,} rows deep p99 "
                    f"{queue['deep_p99_ms']:.1f} ms; the deep page in the database: by cursor "
                    f"p99 {deep['keyset_ms']:.1f} ms, baseline by OFFSET p99 "
                    f"{deep['offset_ms']:.1f} ms ({deep['offset_ms'] / deep['keyset_ms']:.1f}×)"
                )
            feed = _feed_figures(factory, folder, ws_clients, now, report)
            alert_bytes = tables_bytes(engine, ("alerts",)) if alerts else None
            engine.dispose()
    alerts_per_gb = rows_per_gb(alerts, alert_bytes)
    if alert_bytes is not None:
        report(
            f"alerts and their indexes: {alert_bytes / 1024**2:,.0f} MB, {alerts_per_gb:,} per GB"
        )
    encrypt_us, decrypt_us = _fernet_us()
    report(f"Fernet per camera password: encrypt {encrypt_us:.1f} µs, decrypt {decrypt_us:.1f} µs")
    return {
        "bench": "api",
        "cameras": cameras,
        "districts": districts,
        "database": "postgresql" if database_url else "sqlite",
        "district_tree_p50_ms": round(tree["p50_ms"], 2),
        "district_tree_p99_ms": round(tree["p99_ms"], 2),
        "naive_rollup_ms": round(naive, 1),
        "rollup_speedup": round(naive / tree["p50_ms"], 1),
        "camera_search_p99_ms": round(max(search_admin["p99_ms"], search_handler["p99_ms"]), 2),
        "camera_get_p99_ms": round(get_admin["p99_ms"], 2),
        "fernet_encrypt_us": round(encrypt_us, 1),
        "fernet_decrypt_us": round(decrypt_us, 1),
        "alerts": alerts,
        "queue_p99_ms": round(queue.get("first_p99_ms", 0.0), 2),
        "queue_deep_p99_ms": round(queue.get("deep_p99_ms", 0.0), 2),
        "deep_keyset_db_p99_ms": round(deep["keyset_ms"], 2),
        "baseline_offset_deep_p99_ms": round(deep["offset_ms"], 2),
        "alerts_per_gb": alerts_per_gb,
        **feed,
    }
