"""What the console is pushed comes from the services themselves, in their own
transactions: the alert service announces alerts entering, leaving or re-ranking the
queue (not pending holds or inhibited storm members), the case workflow every move."""

from __future__ import annotations

from sqlalchemy import select

from alerts.cases.commands import act
from alerts.cases.vocabulary import CaseAction
from alerts.cases.workflow import load_workflow
from config.settings import Settings
from registry.changefeed import Change
from registry.db import SessionFactory
from tests.api.alert_fixtures import Alerts, open_case
from tests.api.conftest import FakeClock


def _feed(db: SessionFactory) -> list[tuple[str, str, str, dict[str, object]]]:
    with db() as session:
        rows = session.scalars(select(Change).order_by(Change.id)).all()
        return [(r.kind, r.district_code, r.entity_id, dict(r.payload)) for r in rows]


def test_the_alert_service_announces_what_moves_the_queue(
    tree: SessionFactory, cameras: dict[str, str], clock: FakeClock
) -> None:
    before = len(_feed(tree))
    alerts = Alerts(tree, clock)
    row = alerts.fault("cam-a1", "BLURRED")
    pushed = _feed(tree)[before:]
    assert [(kind, entity) for kind, _, entity, _ in pushed] == [("alert", row.id)]
    assert pushed[0][1] == "150402001001"
    assert pushed[0][3]["op"] == "created"
    assert pushed[0][3]["visible"] is True
    # A repeat of the same fault moves nothing an operator sees: nothing is pushed.
    alerts.fault("cam-a1", "BLURRED")
    assert len(_feed(tree)) == before + 1


def test_every_case_move_is_pushed_once(
    tree: SessionFactory, cameras: dict[str, str], clock: FakeClock, settings: Settings
) -> None:
    alerts = Alerts(tree, clock)
    row = alerts.fault("cam-a2", "OCCLUDED")
    workflow = load_workflow(settings)
    case_id = open_case(tree, workflow, row, clock())
    start = len(_feed(tree))
    act(tree, workflow, case_id, CaseAction.ACCEPT, actor="operator-a", now=clock())
    pushed = [c for c in _feed(tree)[start:] if c[0] == "case"]
    assert [(entity, payload["op"]) for _, _, entity, payload in pushed] == [
        (str(case_id), "accept")
    ]
