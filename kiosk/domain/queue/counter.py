"""Work at a counter: call the next ticket, recall, no-show, start, finish, transfer, pause.

A counter never takes a ticket another counter took: `call_next` moves a ticket from waiting
to called with an UPDATE conditioned on it still waiting, and looks again if it lost the race;
on PostgreSQL the candidate is also picked with FOR UPDATE SKIP LOCKED so racing counters pick
different tickets at once. The counter's own row is locked first, so a double tap on one
counter is served one at a time.

`ACTIONS` is the one table of what each action does and when it is allowed: the API, the
office view, the counter template (its buttons and their shortcut keys) and `perform` (which
function runs) all read it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ...models import Counter, Ticket, User
from ..accounts.roles import require
from ..clock import VIETNAM, local_day, utcnow
from ..text import N_
from .base import ACTIVE, QueueError, atomic
from .log import emit
from .lookup import current_ticket, get_counter, service_by_code
from .states import TicketState
from .waiting import call_order, forget_rates

CALLED = (TicketState.CALLED,)


@dataclass(frozen=True)
class Asked:
    """What a surface passes along with a counter action (each action reads what it needs)."""

    if_current: int | None = None
    tz: dt.tzinfo = VIETNAM
    service_code: str | None = None
    to_counter_id: int | None = None
    number: str = ""


#: An action's work: (session, counter id, officer, what was asked) -> the ticket acted on
#: (None: none was; the counter's own actions return the counter).
Run = Callable[[Session, int, User, Asked], Ticket | Counter | None]


def _nothing(_s: Session, _c: int, _u: User, _a: Asked) -> None:
    return None


@dataclass(frozen=True)
class CounterAction:
    """One thing an officer can do at a counter, as every surface shows and checks it."""

    name: str
    #: The button's label (Vietnamese; the templates translate it).
    label: str
    #: The keyboard shortcut on the counter screen ("" for none).
    key: str
    #: States the counter's current ticket must be in; empty: allowed with or without one.
    needs: tuple[str, ...] = ()
    #: What the officer is told afterwards ({number}, {service}); "" for nothing.
    done: str = ""
    done_category: str = "ok"
    #: Exposed as `POST /api/v1/counters/<id>/<name>`.
    api: bool = False
    #: What `perform` runs (the functions below, looked up when called).
    run: Run = _nothing
    #: Said when the action finds no ticket to act on ("" when that cannot happen).
    none_left: str = ""

    def allows(self, current: Ticket | None) -> bool:
        """Whether the action can be taken while `current` is the counter's ticket."""
        return not self.needs or (current is not None and current.state in self.needs)


#: Every counter action. The API's routes, the office's view and buttons, and the domain's own
#: checks all come from here.
#: Said when call-next finds nobody waiting.
QUEUE_EMPTY = "Không còn ai đang chờ."

#: Every counter action. The API's routes, the office's view and buttons, `perform` and the
#: domain's own checks all come from here. (The lambdas look the functions up when called.)
ACTIONS: dict[str, CounterAction] = {
    a.name: a
    for a in (
        CounterAction("call-next", N_("Gọi số tiếp theo"), "n", done="Đang mời số {number}.",
                      api=True, none_left=QUEUE_EMPTY,
                      run=lambda s, c, u, a: call_next(s, c, u, if_current=a.if_current,
                                                       tz=a.tz)),
        CounterAction("recall", N_("Gọi lại"), "r", CALLED, "Đã gọi lại số {number}.", api=True,
                      run=lambda s, c, u, a: recall(s, c, u, if_current=a.if_current)),
        CounterAction("no-show", N_("Vắng mặt"), "v", CALLED, "Số {number}: vắng mặt.", "info",
                      api=True, run=lambda s, c, u, a: no_show(s, c, u, if_current=a.if_current)),
        CounterAction("start", N_("Bắt đầu phục vụ"), "b", CALLED, api=True,
                      run=lambda s, c, u, a: start(s, c, u, if_current=a.if_current)),
        CounterAction("finish", N_("Kết thúc"), "k", ACTIVE, "Đã xong số {number}.", api=True,
                      run=lambda s, c, u, a: finish(s, c, u, if_current=a.if_current)),
        CounterAction("transfer", N_("Chuyển"), "t", ACTIVE,
                      "Đã chuyển số {number} sang {service}.", api=True,
                      run=lambda s, c, u, a: transfer(
                          s, c, u, service_code=a.service_code, to_counter_id=a.to_counter_id,
                          if_current=a.if_current)),
        CounterAction("pause", N_("Tạm dừng"), "p",
                      run=lambda s, c, u, a: set_paused(s, c, u, True)),
        CounterAction("resume", N_("Tiếp tục"), "p",
                      run=lambda s, c, u, a: set_paused(s, c, u, False)),
        CounterAction("sign-in", N_("Nhận quầy"), "",
                      run=lambda s, c, u, a: sign_in_counter(s, c, u)),
        CounterAction("sign-out", N_("Rời quầy"), "",
                      run=lambda s, c, u, a: sign_out_counter(s, c, u)),
        CounterAction("priority", N_("Ưu tiên"), "", done="Số {number} được ưu tiên.",
                      run=lambda s, c, u, a: _priority_at(s, c, u, a)),
    )
}  # fmt: skip


def _lock_counter(session: Session, counter_id: int, user: User) -> Counter:
    """Lock the counter's row for this transaction: one action per counter at a time."""
    require(user, "counter.work")
    forget_rates(session)
    took = session.execute(
        update(Counter)
        .where(Counter.id == counter_id, Counter.active.is_(True))
        .values(number=Counter.number)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        raise QueueError("unknown_counter", f"Không có quầy số hiệu {counter_id}.", 404)
    counter = session.get(Counter, counter_id)
    assert counter is not None
    session.refresh(counter)
    return counter


def _check_current(current: Ticket | None, if_current: int | None) -> None:
    """Optimistic check for screens: `if_current` is the ticket the officer's screen shows
    (0 for none); if the counter has moved on (a double tap, a second tab), refuse."""
    if if_current is None:
        return
    shown = current.id if current else 0
    if shown != if_current:
        raise QueueError(
            "stale", "Màn hình quầy chưa cập nhật: đã tải lại, vui lòng thao tác lại.", 409
        )


def _finish(session: Session, ticket: Ticket, now: dt.datetime, counter: Counter) -> None:
    ticket.state = TicketState.DONE
    ticket.finished_at = now
    emit(session, "finished", now, ticket, counter)


@atomic
def call_next(
    session: Session,
    counter_id: int,
    user: User,
    *,
    if_current: int | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
) -> Ticket | None:
    """Finish the counter's current ticket and call the next one: priority first, then first
    come first served. None when nobody is waiting (the current ticket is still finished)."""
    now = now or utcnow()
    counter = _lock_counter(session, counter_id, user)
    current = current_ticket(session, counter)
    _check_current(current, if_current)
    if current is not None:
        _finish(session, current, now, counter)
    if counter.paused:
        counter.paused = False
        emit(session, "resumed", now, None, counter)
    counter.officer_id = user.id
    service_ids = [s.id for s in counter.services]
    day = local_day(now, tz)
    queue = and_(
        Ticket.state == TicketState.WAITING,
        Ticket.day == day,
        or_(
            and_(Ticket.service_id.in_(service_ids), Ticket.target_counter_id.is_(None)),
            Ticket.target_counter_id == counter.id,
        ),
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(20):
        stmt = select(Ticket.id).where(queue).order_by(*call_order()).limit(1)
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        candidate = session.scalar(stmt)
        if candidate is None:
            session.commit()
            return None
        took = session.execute(
            update(Ticket)
            .where(Ticket.id == candidate, Ticket.state == TicketState.WAITING)
            .values(
                state=TicketState.CALLED, counter_id=counter.id, officer_id=user.id, called_at=now
            )
        )
        if took.rowcount == 1:  # type: ignore[attr-defined]
            ticket = session.get(Ticket, candidate)
            assert ticket is not None
            session.refresh(ticket)
            emit(session, "called", now, ticket, counter)
            session.commit()
            return ticket
    raise QueueError("busy", "Hệ thống đang bận, vui lòng bấm gọi lại.", 503)


def _act(
    session: Session,
    counter_id: int,
    user: User,
    action: str,
    if_current: int | None,
) -> tuple[Counter, Ticket]:
    counter = _lock_counter(session, counter_id, user)
    current = current_ticket(session, counter)
    _check_current(current, if_current)
    if current is None or not ACTIONS[action].allows(current):
        raise QueueError("no_ticket", f"{counter.label} chưa gọi số nào.", 404)
    return counter, current


@atomic
def recall(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """Announce the counter's called ticket again."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, "recall", if_current)
    ticket.recalls += 1
    emit(session, "recalled", now, ticket, counter, recalls=ticket.recalls)
    session.commit()
    return ticket


@atomic
def no_show(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """The called citizen did not come (*vắng mặt*)."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, "no-show", if_current)
    ticket.state = TicketState.NO_SHOW
    ticket.finished_at = now
    emit(session, "no_show", now, ticket, counter)
    session.commit()
    return ticket


@atomic
def start(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """The citizen has come to the counter: service starts."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, "start", if_current)
    ticket.state = TicketState.SERVING
    ticket.started_at = now
    emit(session, "started", now, ticket, counter)
    session.commit()
    return ticket


@atomic
def finish(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """Service done."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, "finish", if_current)
    _finish(session, ticket, now, counter)
    session.commit()
    return ticket


@atomic
def transfer(
    session: Session,
    counter_id: int,
    user: User,
    *,
    service_code: str | None = None,
    to_counter_id: int | None = None,
    if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Send the counter's ticket to another service's queue or to one counter. The citizen
    keeps the number and the place earned by the time of issue; returns the new leg."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, "transfer", if_current)
    if not service_code and not to_counter_id:
        raise QueueError("bad_request", "Chọn dịch vụ hoặc quầy để chuyển đến.", 400)
    target_counter = get_counter(session, to_counter_id) if to_counter_id else None
    if target_counter is not None and target_counter.id == counter.id:
        raise QueueError("bad_request", "Không thể chuyển về chính quầy này.", 400)
    if service_code:
        svc = service_by_code(session, service_code)
    elif target_counter is not None and target_counter.services:
        svc = next(
            (s for s in target_counter.services if s.id == ticket.service_id),
            target_counter.services[0],
        )
    else:
        svc = ticket.service
    new = Ticket(
        token=secrets.token_urlsafe(24),
        service_id=svc.id,
        service=svc,
        day=ticket.day,
        seq=ticket.seq,
        leg=ticket.leg + 1,
        number=ticket.number,
        priority=ticket.priority,
        state=TicketState.WAITING,
        procedure_code=ticket.procedure_code,
        target_counter_id=target_counter.id if target_counter else None,
        issued_at=ticket.issued_at,
        queued_at=ticket.queued_at,
    )
    session.add(new)
    session.flush()
    ticket.state = TicketState.TRANSFERRED
    ticket.finished_at = now
    ticket.transferred_to_id = new.id
    emit(
        session, "transferred", now, ticket, counter,
        to_service=svc.code, to_counter_id=target_counter.id if target_counter else None,
    )  # fmt: skip
    emit(session, "issued", now, new)
    session.commit()
    return new


@atomic
def set_paused(session: Session, counter_id: int, user: User, paused: bool) -> Counter:
    """Pause the counter (*tạm dừng*): it calls nobody and leaves the wait estimate."""
    now = utcnow()
    counter = _lock_counter(session, counter_id, user)
    counter.paused = paused
    if paused:
        counter.officer_id = user.id
    emit(session, "paused" if paused else "resumed", now, None, counter)
    session.commit()
    return counter


@atomic
def sign_in_counter(session: Session, counter_id: int, user: User) -> Counter:
    """The officer takes the counter; it counts as open for the wait estimate."""
    counter = _lock_counter(session, counter_id, user)
    counter.officer_id = user.id
    counter.paused = False
    emit(session, "staffed", utcnow(), None, counter, officer=user.full_name)
    session.commit()
    return counter


@atomic
def sign_out_counter(session: Session, counter_id: int, user: User) -> Counter:
    counter = _lock_counter(session, counter_id, user)
    counter.officer_id = None
    emit(session, "unstaffed", utcnow(), None, counter)
    session.commit()
    return counter


@atomic
def set_priority(
    session: Session, user: User, number: str, priority: bool = True,
    now: dt.datetime | None = None, tz: dt.tzinfo = VIETNAM,
) -> Ticket:  # fmt: skip
    """An officer marks a waiting ticket as priority (elderly, disabled, pregnant, small
    children), or takes the mark off."""
    require(user, "counter.work")
    now = now or utcnow()
    ticket = session.scalar(
        select(Ticket)
        .where(
            Ticket.number == number.strip().upper(),
            Ticket.day == local_day(now, tz),
            Ticket.state == TicketState.WAITING,
        )
        .limit(1)
    )
    if ticket is None:
        raise QueueError("no_ticket", f"Không có số {number} đang chờ hôm nay.", 404)
    ticket.priority = priority
    emit(session, "priority", now, ticket)
    session.commit()
    return ticket


def _priority_at(session: Session, counter_id: int, user: User, asked: Asked) -> Ticket:
    """Priority given from a counter's screen: the counter must exist."""
    get_counter(session, counter_id)
    return set_priority(session, user, asked.number[:8], tz=asked.tz)


@dataclass
class Outcome:
    """What an action did: the ticket acted on (None: nobody was waiting), and what to tell
    the officer."""

    ticket: Ticket | None
    message: str = ""
    category: str = "ok"


def perform(
    session: Session,
    action: str,
    counter_id: int,
    user: User,
    *,
    if_current: int | None = None,
    tz: dt.tzinfo = VIETNAM,
    service_code: str | None = None,
    to_counter_id: int | None = None,
    number: str = "",
) -> Outcome:
    """Do the counter action named `action` (a key of `ACTIONS`), for any surface."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise QueueError("unknown_action", f"Không có thao tác {action[:32]}.", 404)
    asked = Asked(if_current, tz, service_code, to_counter_id, number)
    done = spec.run(session, counter_id, user, asked)
    ticket = done if isinstance(done, Ticket) else None
    if ticket is None and spec.none_left:
        return Outcome(None, spec.none_left, "info")
    message = ""
    if spec.done and ticket is not None:
        message = spec.done.format(number=ticket.number, service=ticket.service.name)
    return Outcome(ticket, message, spec.done_category)
