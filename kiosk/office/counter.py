"""A counter officer's screen: call, recall, no-show, start, finish, transfer, pause."""

from __future__ import annotations

from typing import Any

from flask import flash, get_flashed_messages, redirect, request, url_for

from ..auth import current_user, staff_required
from ..domain import queue
from ..domain.clock import local_day, utcnow
from ..models import User
from ..web import db, hub, is_htmx_fragment, render, site_tz
from . import bp

ACTIONS = frozenset(
    {"call-next", "recall", "no-show", "start", "finish", "transfer", "pause", "resume",
     "sign-in", "sign-out", "priority"}
)  # fmt: skip


def _context(counter_id: int) -> dict[str, Any]:
    session = db()
    counter = queue.get_counter(session, counter_id)
    current = queue.current_ticket(session, counter)
    day = local_day(utcnow(), site_tz())
    waiting = queue.waiting_by_service(session, [s.id for s in counter.services], day)
    return {
        "counter": counter,
        "current": current,
        "waiting": [(s, waiting[s.id]) for s in counter.services],
        "services": queue.services(session),
        "counters": queue.counters(session),
        "messages": get_flashed_messages(with_categories=True),
        "me": current_user(),
    }


@bp.get("/counters/<int:counter_id>")
@staff_required("counter.work")
def counter_page(counter_id: int) -> Any:
    try:
        context = _context(counter_id)
    except queue.QueueError as exc:
        return render("office/message.html", title="Không có quầy", message=str(exc)), 404
    return render("office/counter.html", "panel", **context)


def _if_current() -> int | None:
    raw = request.form.get("if_current", "")
    return int(raw) if raw.isdigit() else None


@bp.post("/counters/<int:counter_id>/<action>")
@staff_required("counter.work")
def counter_action(counter_id: int, action: str) -> Any:
    if action not in ACTIONS:
        return render("office/message.html", title="Không có thao tác này", message=action), 404
    user = current_user()
    assert isinstance(user, User)
    session = db()
    tz = site_tz()
    expected = _if_current()
    try:
        if action == "call-next":
            ticket = queue.call_next(session, counter_id, user, if_current=expected, tz=tz)
            if ticket is None:
                flash("Không còn ai đang chờ.", "info")
            else:
                flash(f"Đang mời số {ticket.number}.", "ok")
        elif action == "recall":
            ticket = queue.recall(session, counter_id, user, if_current=expected)
            flash(f"Đã gọi lại số {ticket.number}.", "ok")
        elif action == "no-show":
            ticket = queue.no_show(session, counter_id, user, if_current=expected)
            flash(f"Số {ticket.number}: vắng mặt.", "info")
        elif action == "start":
            queue.start(session, counter_id, user, if_current=expected)
        elif action == "finish":
            ticket = queue.finish(session, counter_id, user, if_current=expected)
            flash(f"Đã xong số {ticket.number}.", "ok")
        elif action == "transfer":
            target = request.form.get("target", "")
            kind, _, value = target.partition(":")
            ticket = queue.transfer(
                session,
                counter_id,
                user,
                service_code=value if kind == "service" else None,
                to_counter_id=int(value) if kind == "counter" and value.isdigit() else None,
                if_current=expected,
            )
            flash(f"Đã chuyển số {ticket.number} sang {ticket.service.name}.", "ok")
        elif action in ("pause", "resume"):
            queue.set_paused(session, counter_id, user, action == "pause")
        elif action == "sign-in":
            queue.sign_in_counter(session, counter_id, user)
        elif action == "sign-out":
            queue.sign_out_counter(session, counter_id, user)
        elif action == "priority":
            ticket = queue.set_priority(session, user, request.form.get("number", "")[:8], tz=tz)
            flash(f"Số {ticket.number} được ưu tiên.", "ok")
    except queue.QueueError as exc:
        flash(str(exc), "error")
    hub().poke()
    if is_htmx_fragment("panel"):
        return render("office/counter.html", "panel", **_context(counter_id))
    return redirect(url_for("office.counter_page", counter_id=counter_id))
