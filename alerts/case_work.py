"""The case side of `gridwatch alerts`: one thread that opens cases for committed alert
changes, runs the case scheduler and publishes case events.

The consumer's batch thread only appends the changed alert ids to a queue (after its
commit and acknowledgement), so case work never delays an acknowledgement. This thread
takes the queue in order and, every `tick_s`, runs the scheduler:

- the opening sweep (alerts whose rule's wait is over, storm members to link),
- `verify_closures` over the alert tables (`AlertTables`),
- `supervise` (its cards are audit rows, so the feed publishes them),
- `recompute_estimated` at start and once a day, with the calendar file read again
  (a year the State Council has published reaches running deadlines without a restart).

Between jobs, at least every second, the case feed publishes new audit rows. Every case
function is idempotent and locks what it changes, so several alert processes may all do
this; the clock is injected (`now` for every decision), the waits are real time.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from alerts.case_feed import CaseFeed
from alerts.case_opening import CaseOpener, case_worthy
from alerts.case_reader import AlertTables
from alerts.cases.closure import verify_closures
from alerts.cases.recompute import recompute_estimated
from alerts.cases.supervision import supervise
from alerts.cases.workflow import Workflow
from alerts.service import Outcome
from bus.messages import Message
from registry.db import SessionFactory

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
FEED_EVERY_S = 1.0
LoadWorkflow = Callable[[], Workflow]


class CaseWork:
    def __init__(
        self,
        factory: SessionFactory,
        load_workflow: LoadWorkflow,
        feed: CaseFeed,
        clock: Clock,
        *,
        tick_s: float = 60.0,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.factory = factory
        self._load_workflow = load_workflow
        self.workflow = load_workflow()
        self.feed = feed
        self.clock = clock
        self.tick_s = tick_s
        self.zone = ZoneInfo(timezone)
        self.opener = CaseOpener(factory, self.workflow, clock)
        self.reader = AlertTables(factory)
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="alerts-cases", daemon=True)
        self._abandon = threading.Event()  # stop waited long enough: leave the queue
        self._recomputed_on: date | None = None
        self.ticks = 0

    # -- called from the consumer's batch thread: cheap ------------------------------

    def offer(self, outcome: Outcome, _messages: Sequence[Message]) -> None:
        """The consumer's listener: queue the alerts whose change matters to cases."""
        ids = [change.after.id for change in outcome.changes if case_worthy(change)]
        if ids:
            self._jobs.put(lambda: self.opener.for_alerts(ids))

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> CaseWork:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the queued work within `timeout`, publish, stop. Work still queued then
        is left (after the job in hand) for the next start's sweep, as after a crash, so
        the thread never outlives the service's stop by more than one job."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("case work still queued after %.0f s; left to the next start", timeout)
                self._abandon.set()
                self._thread.join()
        deadline = time.monotonic() + min(timeout, 5.0)
        while self.feed.pending() and time.monotonic() < deadline:
            time.sleep(0.05)  # the broker's acknowledgements, so the cursor can move
        self._safely(self.feed.settle)

    def run_now(self, job: Callable[[], object], timeout: float = 60.0) -> None:
        """Run `job` on the case thread after everything queued before it; wait for it."""
        if not self._thread.is_alive():
            raise RuntimeError("the case thread is not running")
        done = threading.Event()
        failure: list[BaseException] = []

        def wrapped() -> None:
            try:
                job()
            except BaseException as exc:
                failure.append(exc)
            finally:
                done.set()

        self._jobs.put(wrapped)
        if not done.wait(timeout):
            raise TimeoutError("the case thread did not get to the job")
        if failure:
            raise failure[0]

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until what was queued so far is done and the feed flushed (tests, stop)."""
        self.run_now(self.feed.flush, timeout)

    # -- the scheduler -----------------------------------------------------------------

    def tick(self) -> None:
        """One scheduler pass at the clock's now (also what `run_now(tick)` runs)."""
        now = self.clock()
        self.opener.sweep()
        verified = verify_closures(self.factory, self.workflow, self.reader, now)
        cards = supervise(self.factory, self.workflow, now)
        today = now.astimezone(self.zone).date()
        if self._recomputed_on != today:
            if self._recomputed_on is not None:  # a new day: the calendar file may have grown
                self.workflow = self._load_workflow()
                self.opener.workflow = self.workflow
            changed = recompute_estimated(self.factory, self.workflow, now)
            self._recomputed_on = today
            if changed:
                log.info("%d estimated case deadlines recomputed", changed)
        self.ticks += 1
        if verified or cards:
            log.info("case tick: %d closures checked, %d cards raised", len(verified), len(cards))

    def _run(self) -> None:
        next_tick = time.monotonic()  # the first pass at start: catch up on what was missed
        while True:
            wait = max(0.0, min(next_tick - time.monotonic(), FEED_EVERY_S))
            try:
                job = self._jobs.get(timeout=wait)
            except queue.Empty:
                job = _NOTHING
            if job is None or self._abandon.is_set():
                self._safely(self.feed.flush)
                return
            if job is not _NOTHING:
                self._safely(job)
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + self.tick_s
                self._safely(self.tick)
            self._safely(self.feed.flush)

    @staticmethod
    def _safely(job: Callable[[], object]) -> None:
        try:
            job()
        except Exception:
            # The next sweep (opening) or flush (feed) finds the work again.
            log.exception("case work failed; it is retried on the next tick")


def _nothing() -> None:
    return None


_NOTHING: Callable[[], None] = _nothing
