"""One change-feed poller per API process, fanned out to every connected WebSocket client.

The poller reads each new change once (one query a tick, `changes_after`), decides how far
the feed is complete (`deliverable`: ids commit out of order, holes wait GAP_WAIT), and puts
each change, encoded once, on the bounded queue of every subscriber whose subtree holds it.
A subscriber that lets its queue fill (a slow socket) has it replaced by one `resync`, so it
never holds the others back and never grows without bound.

A commit made in this process through the app's session factory wakes the poller at once;
changes written by other processes wait for the next tick (POLL_S).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from api.auth.principal import Scope
from api.context import Clock
from registry.changefeed import Change, changes_after, deliverable, feed_bounds
from registry.db import SessionFactory

POLL_S = 0.1
GAP_WAIT = timedelta(seconds=5)
READ_LIMIT = 1000
QUEUE_LIMIT = 2 * READ_LIMIT  # a fast client always has room for a full read
FEED_WRITTEN = "gridwatch.feed_written"

log = logging.getLogger(__name__)


def encode(message: dict[str, Any]) -> str:
    """A JSON text frame, encoded as Starlette's `send_json` does."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def change_message(change: Change) -> dict[str, Any]:
    return {
        "type": "change",
        "id": change.id,
        "kind": change.kind,
        "district_code": change.district_code,
        "entity_id": change.entity_id,
        "payload": change.payload,
        "created_at": change.created_at.isoformat(),
    }


@dataclass(frozen=True, slots=True)
class Frame:
    """One message for a client: a change (its id and district path) or a control frame."""

    text: str
    change_id: int | None = None
    district_path: str = ""
    close_code: int | None = None  # the socket closes with this code instead of a send


def resync_frame(last_id: int) -> Frame:
    return Frame(encode({"type": "resync", "last_id": last_id}))


EXPIRED = Frame("token expired: connect again with a fresh one", close_code=4401)
STOPPED = Frame("the server is stopping: reconnect with 'after'", close_code=1012)


@dataclass(eq=False)
class Subscriber:
    """A connected client: its subtree, the last id it has (or gets from the database as its
    backlog), and the frames waiting for it."""

    scope: Scope
    after: int
    expires_at: datetime | None
    backlog_upto: int  # the client reads (its start, backlog_upto] from the database
    queue: asyncio.Queue[Frame] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))


def frames_for(frames: Iterable[Frame], scope: Scope, after: int) -> list[Frame]:
    """The changes a subscriber is owed: in its subtree, newer than what it has."""
    return [
        f
        for f in frames
        if f.change_id is not None and f.change_id > after and scope.contains(f.district_path)
    ]


def _replace_queue(queue: asyncio.Queue[Frame], frame: Frame) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(frame)


def offer(subscriber: Subscriber, frames: Sequence[Frame], complete: int) -> bool:
    """Queue `frames` (the subscriber's share of the feed up to `complete`) or, when they
    do not fit, replace what waits with one resync at `complete`: the client reloads over
    REST and the stream goes on after it. Returns whether the frames fitted."""
    queue = subscriber.queue
    fits = queue.maxsize - queue.qsize() >= len(frames)
    if fits:
        for frame in frames:
            queue.put_nowait(frame)
    else:
        _replace_queue(queue, resync_frame(complete))
    subscriber.after = max(subscriber.after, complete)
    return fits


class FeedHub:
    """The process's feed poller. Starts lazily with the first subscriber (in that event
    loop); `aclose` stops it and closes every subscriber's stream."""

    def __init__(
        self,
        factory: SessionFactory,
        clock: Clock,
        *,
        poll_s: float = POLL_S,
        gap_wait: timedelta = GAP_WAIT,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.poll_s = poll_s
        self.gap_wait = gap_wait
        self.queue_limit = queue_limit
        self.cursor = 0  # the feed is complete up to here: delivered to every subscriber
        self.reads = 0  # feed queries made, for tests and metrics
        self.overflows = 0  # resyncs sent to clients that fell behind
        self._first_seen: dict[int, datetime] = {}
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._flag = f"{FEED_WRITTEN}.{id(self)}"

    # --- subscribers -------------------------------------------------------------------

    async def subscribe(self, scope: Scope, start: int, expires_at: datetime | None) -> Subscriber:
        """Join the live fan-out of a client that has every change up to `start`. Changes
        after `subscriber.after` come through its queue; those in (start, backlog_upto]
        are the caller's to read from the database first."""
        await self._running()
        # No await from here on: the cursor cannot move between reading it and joining.
        subscriber = Subscriber(
            scope,
            after=max(start, self.cursor),
            expires_at=expires_at,
            backlog_upto=self.cursor,
            queue=asyncio.Queue(self.queue_limit),
        )
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # --- running -----------------------------------------------------------------------

    async def _running(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._start(loop)
        await self._ready.wait()

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        # A new loop (a test client's portal) starts afresh: the old one's tasks are gone.
        self._loop = loop
        self._subscribers = set()
        self._first_seen = {}
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        if not event.contains(self.factory, "before_flush", self._note_flush):
            event.listen(self.factory, "before_flush", self._note_flush)
            event.listen(self.factory, "after_commit", self._note_commit)
        self._task = loop.create_task(self._run(), name="feed-hub")

    async def aclose(self) -> None:
        """Stop polling; every subscriber's stream closes (1012: reconnect with `after`)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if event.contains(self.factory, "before_flush", self._note_flush):
            event.remove(self.factory, "before_flush", self._note_flush)
            event.remove(self.factory, "after_commit", self._note_commit)
        for subscriber in self._subscribers:
            _replace_queue(subscriber.queue, STOPPED)
        self._subscribers = set()

    async def _run(self) -> None:
        while not self._ready.is_set():
            try:
                self.cursor = await asyncio.to_thread(self._newest)
                self._ready.set()
            except Exception:
                log.exception("change feed: cannot read where the feed ends; retrying")
                await asyncio.sleep(self.poll_s)
        while True:
            more = False
            try:
                more = await self.poll_once()
            except Exception:
                log.exception("change feed: poll failed; retrying")
            if not more:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()

    async def poll_once(self) -> bool:
        """Read what is new, fan it out, close expired subscribers. Returns whether a full
        read came back (more may be waiting)."""
        async with self._lock:
            self._close_expired(self.clock())
            after = self.cursor
            frames = await asyncio.to_thread(self._read, after)
            self.reads += 1
            complete = deliverable(
                after,
                [f.change_id or 0 for f in frames],
                self._first_seen,
                self.clock(),
                self.gap_wait,
            )
            if complete == after:
                return False
            ready = [f for f in frames if (f.change_id or 0) <= complete]
            self.cursor = complete
            for subscriber in self._subscribers:
                owed = frames_for(ready, subscriber.scope, subscriber.after)
                if not offer(subscriber, owed, complete):
                    self.overflows += 1
            return len(frames) == READ_LIMIT and complete == frames[-1].change_id

    def _close_expired(self, now: datetime) -> None:
        expired = [s for s in self._subscribers if s.expires_at is not None and now >= s.expires_at]
        for subscriber in expired:
            _replace_queue(subscriber.queue, EXPIRED)
            self._subscribers.discard(subscriber)

    def _newest(self) -> int:
        with self.factory() as session:
            return feed_bounds(session).newest_id

    def _read(self, after: int) -> list[Frame]:
        with self.factory() as session:
            rows = changes_after(session, after, READ_LIMIT)
            return [Frame(encode(change_message(r)), r.id, r.district_path) for r in rows]

    # --- waking on an in-process commit (SQLAlchemy session events, any thread) ---------

    def _note_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(row, Change) for row in session.new):
            session.info[self._flag] = True

    def _note_commit(self, session: Session) -> None:
        loop = self._loop
        if session.info.pop(self._flag, False) and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake.set)
