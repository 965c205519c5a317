"""KPIs: exact figures of a hand-driven day, and agreement with the naive pass on a year."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts.cases.commands import act
from alerts.cases.kpis import Cards, KpiScope, kpis
from alerts.cases.models import Case, CaseFlag
from alerts.cases.opening import open_case_for_alert
from alerts.cases.supervision import supervise
from alerts.cases.vocabulary import CaseAction
from alerts.cases.workflow import Workflow
from benchmarks.cases import NOW as BENCH_NOW
from benchmarks.cases import load_cases, load_league, naive_kpis, scopes
from benchmarks.cases_data import league as bench_league
from registry.db import SessionFactory
from tests.alerts.cases.conftest import NOW, alert, cst

A = CaseAction
H = timedelta(hours=1)


def test_figures_of_a_hand_driven_day(league: SessionFactory, workflow: Workflow) -> None:
    ids = []
    for n in range(3):
        opened = open_case_for_alert(
            league, workflow, alert(f"cam-{n}:camera.offline", camera_id=f"cam-{n}"), NOW
        )
        assert opened.case_id is not None
        ids.append(opened.case_id)
    quick, slow, _idle = ids
    # quick: signed after 1 h, resolved 2 h in, closed by the verifier's word (system).
    act(league, workflow, quick, A.SIGN_FOR, actor="wang", now=NOW + H)
    act(league, workflow, quick, A.RESOLVE, actor="wang", now=NOW + 2 * H, reason="rebooted")
    act(league, workflow, quick, A.VERIFIED_CLOSE, actor="system", now=NOW + 3 * H)
    act(league, workflow, quick, A.FOLLOW_UP, actor="cc", now=NOW + 4 * H)
    supervise(league, workflow, cst(2026, 11, 27, 8, 0))  # idle and slow: yellow + red each
    # slow: signed after its 4 h sign-for deadline (Thu 15:30), on Fri 09:00.
    act(league, workflow, slow, A.SIGN_FOR, actor="wang", now=cst(2026, 11, 27, 9, 0))
    act(league, workflow, slow, A.RESOLVE, actor="wang", now=cst(2026, 11, 27, 10, 0), reason="ok")
    act(league, workflow, slow, A.VERIFIED_CLOSE, actor="system", now=cst(2026, 11, 27, 11, 0))
    act(
        league,
        workflow,
        slow,
        A.FOLLOW_UP_DISSATISFIED,
        actor="cc",
        now=cst(2026, 11, 27, 11, 0),
        reason="the picture is still dark",
    )

    now = cst(2026, 11, 27, 12, 0)
    with league() as session:
        figures = kpis(session, KpiScope(NOW - 24 * H, NOW + 48 * H), now)
        scoped = kpis(
            session, KpiScope(NOW - 24 * H, NOW + 48 * H, district_path="150400/150404/"), now
        )
    assert (figures.opened, figures.closed, figures.closed_of_opened) == (3, 1, 1)
    assert figures.closure_rate == pytest.approx(1 / 3)
    assert figures.on_time_rate == 1.0
    assert (figures.followed_up, figures.satisfaction_rate) == (2, 0.5)
    # Sign-for in working time: 1 h; and Thu 10:00 → Fri 09:00 = 6 h + 0.5 h.
    assert figures.mean_sign_for_s == pytest.approx((1 + 6.5) / 2 * 3600)
    assert figures.mean_resolve_s == pytest.approx(2 * 3600)
    # idle's sign-for deadline passed; slow was reopened and must be signed for again (in time).
    assert figures.overdue_now == 1
    assert figures.cards == (Cards("maint-150402", 2, 2),)
    assert (scoped.opened, scoped.overdue_now, scoped.cards) == (0, 0, ())


@pytest.mark.slow
def test_sql_kpis_agree_with_the_naive_pass(db: SessionFactory) -> None:
    place = bench_league(banners=3, townships=3, villages=3)
    engine = db.kw["bind"]
    load_league(engine, place)
    load_cases(engine, place, 3000, lambda _: None)
    with db() as session:
        rows = session.execute(select(Case.__table__)).all()
        flags = session.execute(select(CaseFlag.__table__)).all()
        for name, scope in scopes(place).items():
            fast = kpis(session, scope, BENCH_NOW)
            slow = naive_kpis(rows, flags, scope, BENCH_NOW)
            assert fast.opened > 0, name
            assert fast == pytest.approx(slow) or _close(fast, slow), name


def _close(a: object, b: object) -> bool:
    for field in ("opened", "closed", "closed_of_opened", "followed_up", "overdue_now", "cards"):
        assert getattr(a, field) == getattr(b, field), field
    for field in (
        "closure_rate",
        "on_time_rate",
        "satisfaction_rate",
        "mean_sign_for_s",
        "mean_resolve_s",
    ):
        assert getattr(a, field) == pytest.approx(getattr(b, field)), field
    return True
