"""Server-Sent Events over the queue's event log, for displays and counter screens.

Each worker process runs one `Hub`: a single background reader that follows `queue_event`
and hands new events to every open stream of that process. Five hundred displays cost one
query per read, not five hundred.

The hub reads when it is woken, and at the latest every `Hub.interval` (a poll, the fallback).
A commit that adds events wakes the hubs of every process on the same database through a
`Doorbell` (kiosk/doorbell.py). Without it a call made in one gunicorn worker reached the
displays held by the other only at that worker's next poll, 25-50 ms later on average.

A stream starts from `Last-Event-ID` (sent by the browser when it reconnects, or `after` in
the query): it first sends what it missed, from the hub's memory or else the database, then
follows the hub. So a display cut off for a minute gets every call it missed, in order, and
carries on; one more than `MAX_REPLAY` events behind gets a `snapshot` instead.

Each worker holds at most `MAX_STREAMS` streams (KIOSK_MAX_STREAMS, below its connection
limit): one more is answered 503 with a `retry:` hint and `Retry-After`, and the display tries
again a little later, so displays can never take the connections the kiosk and the counters
need. Events older than
`ANNOUNCE_WINDOW` are marked `replay`: the display updates its screen with them but does not
speak them again. A stream without a starting point begins with a `snapshot` of the true state.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from .domain import queue
from .domain.clock import VIETNAM, local, local_day, utcnow
from .doorbell import Doorbell
from .models import Counter, QueueEvent, Service

log = logging.getLogger(__name__)

ANNOUNCE_WINDOW = dt.timedelta(seconds=10)
#: A quiet stream sends a comment this often. It is also how a worker learns that a display
#: went away (the second write to a closed connection fails), which frees its place under
#: KIOSK_MAX_STREAMS: within two heartbeats.
HEARTBEAT_SECONDS = 5.0
#: Further behind than this, a display gets a snapshot rather than every event it missed.
MAX_REPLAY = 500
PREFILL = 1000
CACHE = 5000


@dataclass(frozen=True)
class Filter:
    """What one display shows: some counters, some services, or everything."""

    counter_ids: frozenset[int] = frozenset()
    service_codes: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, counters: str | None, services: str | None) -> Filter:
        ids = frozenset(int(c) for c in (counters or "").split(",") if c.strip().isdigit())
        codes = frozenset(c.strip().upper() for c in (services or "").split(",") if c.strip())
        return cls(ids, codes)

    def resolve(self, session: Session) -> tuple[list[Counter], list[Service]]:
        """The counters and services this filter covers."""
        all_counters = queue.counters(session)
        shown = [c for c in all_counters if not self.counter_ids or c.id in self.counter_ids]
        svcs = queue.services(session)
        if self.service_codes:
            svcs = [s for s in svcs if s.code in self.service_codes]
            if not self.counter_ids:
                wanted = {s.id for s in svcs}
                shown = [c for c in shown if any(s.id in wanted for s in c.services)]
        elif self.counter_ids:
            served = {s.id for c in shown for s in c.services}
            svcs = [s for s in svcs if s.id in served]
        return shown, svcs


@dataclass
class Scope:
    counter_ids: set[int] = field(default_factory=set)
    service_codes: set[str] = field(default_factory=set)

    def admits(self, event: dict[str, Any]) -> bool:
        service = event.get("service")
        if service is not None and service not in self.service_codes:
            return False
        counter = event.get("counter_id")
        return counter is None or counter in self.counter_ids


def _event_dict(ev: QueueEvent, tz: dt.tzinfo) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ev.data or "{}")
    # `at` as every time of the API (kiosk/api `iso`); `_at`, never sent, for `frame`.
    data.update(id=ev.id, kind=ev.kind, at=local(ev.at, tz).isoformat(timespec="seconds"))
    data["_at"] = ev.at
    return data


def _waiting(session: Session, codes: dict[int, str], day: dt.date) -> dict[str, Any]:
    """Who waits in each service today (`codes`: service id to code), keyed by code."""
    summary = queue.waiting_by_service(session, sorted(codes), day)
    return {
        codes[sid]: {"count": w.count, "priority": w.priority, "next": w.next}
        for sid, w in summary.items()
    }


def enrich(
    session: Session, events: list[QueueEvent], tz: dt.tzinfo = VIETNAM
) -> list[dict[str, Any]]:
    """Events as sent: each carries the current waiting list of its service (`tz`: the
    site's time zone, whose day the tickets are numbered in)."""
    out = [_event_dict(e, tz) for e in events]
    # Each event names its service's code: no need to look the services up.
    codes = {
        e.service_id: ev["service"]
        for e, ev in zip(events, out, strict=True)
        if e.service_id is not None and "service" in ev
    }
    if codes:
        waiting = _waiting(session, codes, local_day(utcnow(), tz))
        for ev in out:
            if ev.get("service") in waiting:
                ev["waiting"] = {ev["service"]: waiting[ev["service"]]}
    return out


def snapshot(session: Session, flt: Filter, tz: dt.tzinfo = VIETNAM) -> dict[str, Any]:
    """The true state for a display: each counter's current call, who waits, the last calls."""
    now = utcnow()
    last_id = queue.last_event_id(session)
    counters, services = flt.resolve(session)
    day = local_day(now, tz)
    current = []
    for c in counters:
        t = queue.current_ticket(session, c)
        current.append(
            {
                "counter_id": c.id,
                "counter_number": c.number,
                "counter_name": c.label,
                "number": t.number if t else None,
                "state": t.state if t else None,
                "paused": c.paused,
                "staffed": c.officer_id is not None,
            }
        )
    calls = queue.recent_calls(session, day, [c.id for c in counters])
    names = {c.id: c.label for c in counters}
    return {
        "id": last_id,
        "kind": "snapshot",
        "at": local(now, tz).isoformat(timespec="seconds"),
        "counters": current,
        "services": [{"code": s.code, "name": s.name, "prefix": s.prefix} for s in services],
        "waiting": _waiting(session, {s.id: s.code for s in services}, day),
        "calls": [
            {
                "number": t.number,
                "counter_id": t.counter_id,
                "counter_name": names.get(t.counter_id or 0, ""),
                "at": local(t.called_at, tz).strftime("%H:%M") if t.called_at else "",
            }
            for t in calls
        ],
    }


def scope_for(session: Session, flt: Filter) -> Scope:
    counters, services = flt.resolve(session)
    return Scope({c.id for c in counters}, {s.code for s in services})


class Hub:
    """The one event reader of a worker process."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        interval: float = 0.05,
        tz: dt.tzinfo = VIETNAM,
        doorbell: Doorbell | None = None,
    ) -> None:
        self.factory = factory
        self.tz = tz
        self.interval = interval
        self.doorbell = doorbell
        self._listener: threading.Thread | None = None
        self.cond = threading.Condition()
        self.poke_event = threading.Event()
        self.recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=CACHE)
        self.last_id = -1
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = threading.Event()
        #: Streams reading the database (a snapshot, a long catch-up) take turns, so a crowd of
        #: displays reconnecting at once cannot take every connection from the kiosk's pages.
        self.db_gate = threading.BoundedSemaphore(4)
        #: Streams this worker holds open now; `admit` refuses more than `max_streams`.
        self.open_streams = 0
        self._streams_lock = threading.Lock()

    def admit(self, max_streams: int) -> bool:
        """Take a place for one more open stream, or say no when `max_streams` are open: the
        worker's other connections stay free for the kiosk and the counters."""
        with self._streams_lock:
            if self.open_streams >= max_streams:
                return False
            self.open_streams += 1
            return True

    def release(self) -> None:
        """A stream admitted by `admit` has ended."""
        with self._streams_lock:
            self.open_streams = max(0, self.open_streams - 1)

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="queue-hub", daemon=True)
                self._thread.start()
        with self.cond:
            self.cond.wait_for(lambda: self.last_id >= 0, timeout=5)

    def stop(self, timeout: float = 5.0) -> None:
        """End the reader and give its database connection back (before the engine is
        disposed: a connection still held then is never closed properly); leave the
        doorbell's folder."""
        self._stopping.set()
        self.poke_event.set()
        if self.doorbell is not None:
            self.doorbell.wake_self()
        for thread in (self._thread, self._listener):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        if self.doorbell is not None:
            self.doorbell.close()

    def _listen(self) -> None:
        """Bind the doorbell's socket and wake the reader at each byte it receives."""
        if self.doorbell is None or self._listener is not None:
            return
        sock = self.doorbell.listen()
        if sock is None:
            return

        def run() -> None:
            while not self._stopping.is_set():
                try:
                    sock.recv(64)
                except OSError:
                    return  # closed
                self.poke_event.set()

        self._listener = threading.Thread(target=run, name="queue-hub-doorbell", daemon=True)
        self._listener.start()

    def poke(self) -> None:
        """A commit in this process: read the log now rather than at the next poll."""
        self.poke_event.set()

    def _run(self) -> None:
        # Listening before the first read: a commit from then on wakes this hub.
        self._listen()
        session = self.factory()
        try:
            last = queue.last_event_id(session)
            # Remember the recent past too, so that displays reconnecting after a restart
            # catch up from memory rather than each from the database.
            recent = enrich(
                session, queue.events_after(session, max(0, last - PREFILL), PREFILL), self.tz
            )
            session.rollback()
            with self.cond:
                self.recent.extend(recent)
                self.last_id = recent[-1]["id"] if recent else last
                self.cond.notify_all()
            while not self._stopping.is_set():
                try:
                    events = queue.events_after(session, self.last_id)
                    batch = enrich(session, events, self.tz) if events else []
                    session.rollback()
                except Exception:  # noqa: BLE001 - a dropped database link: retry, keep going
                    if self._stopping.is_set():
                        break
                    log.exception("queue hub: reading the event log failed; retrying")
                    session.close()
                    session = self.factory()
                    self.poke_event.wait(1.0)
                    continue
                if batch:
                    with self.cond:
                        self.recent.extend(batch)
                        self.last_id = batch[-1]["id"]
                        self.cond.notify_all()
                    continue
                self.poke_event.wait(self.interval)
                self.poke_event.clear()
        finally:
            session.close()

    def wait_after(self, after: int, timeout: float) -> list[dict[str, Any]] | None:
        """Events after `after` from the cache, waiting up to `timeout` for one; None when the
        cache no longer reaches back that far (read the database instead)."""
        with self.cond:
            self.cond.wait_for(lambda: self.last_id > after, timeout=timeout)
            if self.last_id <= after:
                return []
            if not self.recent or self.recent[0]["id"] > after + 1:
                return None
            newer: list[dict[str, Any]] = []
            for ev in reversed(self.recent):  # ids increase: walk back only as far as needed
                if ev["id"] <= after:
                    break
                newer.append(ev)
            newer.reverse()
            return newer


def sse(event: dict[str, Any], name: str | None = None) -> str:
    lines = [f"id: {event['id']}"]
    if name:
        lines.append(f"event: {name}")
    lines.append("data: " + json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def frame(ev: dict[str, Any]) -> str:
    """The event as an SSE message, `replay` set by its age now. Encoded once per event and
    kind of age, not once per display: five hundred displays share the same text."""
    at = ev["_at"]
    replay = utcnow() - at > ANNOUNCE_WINDOW
    key = "_replay" if replay else "_live"
    text = ev.get(key)
    if text is None:
        body = {k: v for k, v in ev.items() if not k.startswith("_")}
        body["replay"] = replay
        text = ev[key] = sse(body)
    return str(text)


class Held:
    """A stream's body that gives its place back to the hub when it is closed, however it
    ends (the display went away, the worker stops), even if it never started. The WSGI server
    calls `close` on every response body."""

    def __init__(self, hub: Hub, body: Iterator[str]) -> None:
        self.hub = hub
        self.body = body
        self._released = False

    def __iter__(self) -> Iterator[str]:
        return self.body

    def close(self) -> None:
        if not self._released:
            self._released = True
            self.hub.release()
        close = getattr(self.body, "close", None)
        if close is not None:
            close()


def stream(
    hub: Hub, factory: sessionmaker[Session], flt: Filter, after: int | None
) -> Iterator[str]:
    """The text/event-stream body for one display.

    A display further behind than MAX_REPLAY events gets a fresh snapshot instead of the whole
    backlog: the true state (each counter's call, the queue, the last calls) at less cost.
    """
    hub.start()
    yield "retry: 2000\n\n"
    cached = hub.wait_after(after, 0) if after is not None else None
    if after is not None and cached is None and hub.last_id - after > MAX_REPLAY:
        after = None
    pending: list[str] = []
    with hub.db_gate:
        session = factory()
        try:
            scope = scope_for(session, flt)
            if after is None:
                snap = snapshot(session, flt, hub.tz)
                after = int(snap["id"])
                pending.append(sse(snap, "snapshot"))
            elif cached is not None:
                # From the hub's memory: no database work when many displays reconnect at
                # once (after a restart, say).
                pending = [frame(ev) for ev in cached if scope.admits(ev)]
                after = cached[-1]["id"] if cached else after
            else:
                # Further back than the hub remembers: read what was missed from the database.
                while after < hub.last_id:
                    missed = queue.events_after(session, after)
                    if not missed:
                        break
                    for ev in enrich(session, missed, hub.tz):
                        after = ev["id"]
                        if scope.admits(ev):
                            pending.append(frame(ev))
            session.rollback()
        finally:
            session.close()
    yield from pending
    while True:
        batch = hub.wait_after(after, HEARTBEAT_SECONDS)
        if batch is None:
            with hub.db_gate:
                session = factory()
                try:
                    batch = enrich(session, queue.events_after(session, after), hub.tz)
                finally:
                    session.close()
        if not batch:
            yield ": keep-alive\n\n"
            continue
        for ev in batch:
            after = ev["id"]
            if scope.admits(ev):
                yield frame(ev)
