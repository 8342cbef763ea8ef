"""The queue's domain on both engines: numbering, call order, transfers, estimates, the log."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.demo.floor import load_demo_floor
from kiosk.domain import queue
from kiosk.domain.accounts import Forbidden, create_user
from kiosk.domain.accounts.branches import create_branch
from kiosk.models import Counter, QueueEvent, Ticket, User

# 10:00 in Hà Nội: inside the demo services' hours.
MORNING = dt.datetime(2026, 11, 23, 3, 0)


@pytest.fixture
def floor(app: Flask) -> Session:
    s: Session = app.extensions["kiosk.sessionmaker"]()
    load_demo_floor(s)
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
def officer(floor: Session) -> User:
    return create_user(floor, "canbo1", "mat-khau-dai", "officer", "Nguyễn Văn An")


def counter(s: Session, number: int) -> Counter:
    c = s.scalar(select(Counter).where(Counter.number == number))
    assert c is not None
    return c


def test_numbers_run_per_service_and_restart_each_day(floor: Session) -> None:
    a1 = queue.issue_ticket(floor, "HOTICH", now=MORNING)
    a2 = queue.issue_ticket(floor, "hotich", now=MORNING)
    b1 = queue.issue_ticket(floor, "CUTRU", now=MORNING)
    assert [a1.ticket.number, a2.ticket.number, b1.ticket.number] == ["A001", "A002", "B001"]
    assert (a1.ahead, a2.ahead, b1.ahead) == (0, 1, 0)
    tomorrow = queue.issue_ticket(floor, "HOTICH", now=MORNING + dt.timedelta(days=1))
    assert tomorrow.ticket.number == "A001"
    # The day is Vietnam's: 17:30 UTC is 00:30 the next morning in Hà Nội.
    late = queue.issue_ticket(floor, "HOTICH", now=dt.datetime(2026, 11, 23, 17, 30))
    assert late.ticket.day == dt.date(2026, 11, 24) and late.ticket.number == "A002"


def test_same_idempotency_key_gives_the_same_ticket(floor: Session) -> None:
    first = queue.issue_ticket(
        floor, "HOTICH", idempotency_key="tap-1", caller="kiosk:a", now=MORNING
    )
    again = queue.issue_ticket(
        floor, "HOTICH", idempotency_key="tap-1", caller="kiosk:a", now=MORNING
    )
    assert first.created and not again.created
    assert again.ticket.id == first.ticket.id
    assert floor.scalar(select(Ticket.id).where(Ticket.number == "A002")) is None


def test_unknown_service_and_closed_hours_are_refused(floor: Session) -> None:
    with pytest.raises(queue.QueueError) as err:
        queue.issue_ticket(floor, "KHONGCO", now=MORNING)
    assert err.value.status == 404 and "KHONGCO" in str(err.value)
    night = dt.datetime(2026, 11, 23, 14, 0)  # 21:00 in Hà Nội
    with pytest.raises(queue.QueueError) as err:
        queue.issue_ticket(floor, "HOTICH", enforce_hours=True, now=night)
    assert "07:30" in str(err.value)
    # Not enforced (the default): issued, and the estimate counts the hours until opening.
    early = dt.datetime(2026, 11, 22, 23, 30)  # 06:30 in Hà Nội
    info = queue.issue_ticket(floor, "HOTICH", now=early)
    assert info.estimated_wait_minutes == 60


def test_call_next_takes_priority_first_then_first_come(floor: Session, officer: User) -> None:
    t = [
        queue.issue_ticket(floor, "HOTICH", now=MORNING + dt.timedelta(seconds=i)) for i in range(3)
    ]
    p = queue.issue_ticket(floor, "HOTICH", priority=True, now=MORNING + dt.timedelta(seconds=9))
    assert p.ahead == 0 and t[2].ticket.number == "A003"
    c1 = counter(floor, 1)
    order = []
    for _ in range(4):
        called = queue.call_next(floor, c1.id, officer, now=MORNING + dt.timedelta(minutes=5))
        assert called is not None
        order.append(called.number)
    assert order == ["A004", "A001", "A002", "A003"]
    # Calling next finished the previous one.
    states = dict(floor.execute(select(Ticket.number, Ticket.state)).all())
    assert states == {"A004": "done", "A001": "done", "A002": "done", "A003": "called"}
    assert queue.call_next(floor, c1.id, officer, now=MORNING + dt.timedelta(minutes=6)) is None


def test_counter_serves_only_its_services(floor: Session, officer: User) -> None:
    queue.issue_ticket(floor, "CUTRU", now=MORNING)
    assert queue.call_next(floor, counter(floor, 1).id, officer, now=MORNING) is None
    called = queue.call_next(floor, counter(floor, 3).id, officer, now=MORNING)
    assert called is not None and called.number == "B001"


def test_recall_no_show_start_finish(floor: Session, officer: User) -> None:
    queue.issue_ticket(floor, "HOTICH", now=MORNING)
    queue.issue_ticket(floor, "HOTICH", now=MORNING)
    cid = counter(floor, 1).id
    with pytest.raises(queue.QueueError):
        queue.recall(floor, cid, officer)
    first = queue.call_next(floor, cid, officer, now=MORNING)
    assert first is not None
    assert queue.recall(floor, cid, officer).recalls == 1
    assert queue.no_show(floor, cid, officer).state == "no_show"
    second = queue.call_next(floor, cid, officer, if_current=0, now=MORNING)
    assert second is not None and second.number == "A002"
    # The screen still showed no ticket: a double tap is refused, not served twice.
    with pytest.raises(queue.QueueError) as err:
        queue.call_next(floor, cid, officer, if_current=0)
    assert err.value.code == "stale"
    assert queue.start(floor, cid, officer, if_current=second.id).state == "serving"
    done = queue.finish(floor, cid, officer)
    assert done.state == "done" and done.finished_at is not None


def test_transfer_keeps_number_and_place(floor: Session, officer: User) -> None:
    first = queue.issue_ticket(floor, "HOTICH", now=MORNING)
    queue.issue_ticket(floor, "CUTRU", now=MORNING + dt.timedelta(minutes=1))
    c1, c3 = counter(floor, 1).id, counter(floor, 3).id
    queue.call_next(floor, c1, officer, now=MORNING + dt.timedelta(minutes=2))
    moved = queue.transfer(floor, c1, officer, service_code="CUTRU")
    assert moved.number == "A001" and moved.service.code == "CUTRU" and moved.leg == 1
    # A001 was issued before B001, so it is called first at the residence counter.
    called = queue.call_next(floor, c3, officer, now=MORNING + dt.timedelta(minutes=3))
    assert called is not None and called.number == "A001"
    # The citizen's page follows the ticket to its new queue.
    found = queue.find_ticket(floor, first.ticket.token)
    assert found is not None and found.id == called.id
    # To one counter: only that counter calls it.
    queue.transfer(floor, c3, officer, to_counter_id=counter(floor, 5).id)
    later = MORNING + dt.timedelta(minutes=4)
    assert queue.call_next(floor, counter(floor, 4).id, officer, now=later) is not None  # B001
    at5 = queue.call_next(floor, counter(floor, 5).id, officer, now=later)
    assert at5 is not None and at5.number == "A001"


def test_only_staff_work_counters(floor: Session) -> None:
    create_branch(floor, "BIDV-GL", bank="BIDV", name="BIDV Gia Lai")
    agent = create_user(floor, "daily1", "mat-khau-dai", "agent", branch_code="BIDV-GL")
    queue.issue_ticket(floor, "HOTICH", now=MORNING)
    with pytest.raises(Forbidden):
        queue.call_next(floor, counter(floor, 1).id, agent)
    # The refusal left no lock behind: another officer can call.
    officer = create_user(floor, "canbo2", "mat-khau-dai", "officer")
    assert queue.call_next(floor, counter(floor, 1).id, officer, now=MORNING) is not None


def test_estimate_uses_rolling_service_time_and_open_counters(
    floor: Session, officer: User
) -> None:
    svc = queue.service_by_code(floor, "HOTICH")
    assert queue.rolling_service_minutes(floor, svc, MORNING) == svc.default_minutes == 8
    cid = counter(floor, 1).id
    t0 = MORNING
    for _ in range(4):
        queue.issue_ticket(floor, "HOTICH", now=t0)
    for i in range(4):  # each served in 4 minutes
        queue.call_next(floor, cid, officer, now=t0 + dt.timedelta(minutes=4 * i))
    queue.finish(floor, cid, officer, now=t0 + dt.timedelta(minutes=16))
    assert queue.rolling_service_minutes(floor, svc, t0 + dt.timedelta(minutes=17)) == 4
    # Counters 1 and 2 serve HOTICH; only counter 1 is staffed, so one counter is open.
    info = queue.issue_ticket(floor, "HOTICH", now=t0 + dt.timedelta(minutes=17))
    assert info.ahead == 0
    queue.issue_ticket(floor, "HOTICH", now=t0 + dt.timedelta(minutes=17))
    third = queue.issue_ticket(floor, "HOTICH", now=t0 + dt.timedelta(minutes=17))
    assert third.ahead == 2 and third.estimated_wait_minutes == 8
    queue.sign_in_counter(floor, counter(floor, 2).id, officer)
    later = queue.issue_ticket(floor, "HOTICH", now=t0 + dt.timedelta(minutes=17))
    assert later.ahead == 3 and later.estimated_wait_minutes == 6  # 3 × 4 ÷ 2


def test_event_log_records_calls_in_order(floor: Session, officer: User) -> None:
    queue.issue_ticket(floor, "HOTICH", now=MORNING)
    queue.call_next(floor, counter(floor, 2).id, officer, now=MORNING)
    queue.recall(floor, counter(floor, 2).id, officer, now=MORNING)
    events = queue.events_after(floor, 0)
    assert [e.kind for e in events] == ["issued", "called", "recalled"]
    called = json.loads(events[1].data)
    assert called["number"] == "A001" and called["counter_number"] == 2
    assert called["counter_name"] == "Quầy 2"
    assert queue.events_after(floor, events[1].id)[0].kind == "recalled"


def _run_threads(n: int, target) -> None:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]


def test_concurrent_issues_get_distinct_consecutive_numbers(app: Flask, floor: Session) -> None:
    factory = app.extensions["kiosk.sessionmaker"]

    def issue(i: int) -> None:
        s = factory()
        try:
            queue.issue_ticket(s, "HOTICH", idempotency_key=f"k{i}", caller="kiosk:a", now=MORNING)
        finally:
            s.close()

    _run_threads(40, issue)
    numbers = sorted(floor.scalars(select(Ticket.seq)))
    assert numbers == list(range(1, 41))
    ids = list(floor.scalars(select(QueueEvent.id).order_by(QueueEvent.id)))
    assert len(ids) == 40


def test_simultaneous_call_next_never_takes_the_same_ticket(
    app: Flask, floor: Session, officer: User
) -> None:
    for i in range(30):
        queue.issue_ticket(floor, "GIAOTHONG", now=MORNING + dt.timedelta(seconds=i))
    factory = app.extensions["kiosk.sessionmaker"]
    c4, c5 = counter(floor, 4).id, counter(floor, 5).id
    called: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        s = factory()
        try:
            user = s.get(User, officer.id)
            for _ in range(15):
                t = queue.call_next(s, c4 if i == 0 else c5, user, now=MORNING)
                if t is not None:
                    with lock:
                        called.append(t.id)
        finally:
            s.close()

    _run_threads(2, work)
    assert len(called) == 30 and len(set(called)) == 30


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])
def test_displays_count_the_queue_in_the_sites_own_day(floor: Session, zone: str) -> None:
    """With KIOSK_SITE_TZ elsewhere than Vietnam, the waiting lists follow the site's day.
    (At any hour, one of these two zones is on another day than Hà Nội.)"""
    from zoneinfo import ZoneInfo

    from kiosk import events

    tz = ZoneInfo(zone)
    queue.issue_ticket(floor, "HOTICH", tz=tz)
    sent = events.enrich(floor, queue.events_after(floor, 0), tz)
    assert sent[0]["waiting"]["HOTICH"]["count"] == 1
    snap = events.snapshot(floor, events.Filter(), tz)
    assert snap["waiting"]["HOTICH"]["next"] == ["A001"]
