"""A counter officer's screen: call, recall, no-show, start, finish, transfer, pause.

What each action does and when it is allowed is decided once, in `kiosk.domain.queue.ACTIONS`;
this view reads the form, calls `queue.perform`, and shows the panel again.
"""

from __future__ import annotations

from typing import Any

from flask import flash, get_flashed_messages, redirect, request, url_for

from ..auth import current_user, staff_required
from ..domain import queue
from ..domain.clock import local_day, utcnow
from ..models import User
from ..view_helpers import as_id, db, hub, is_htmx_fragment, render, site_tz
from . import bp


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
        "actions": queue.ACTIONS,
    }


def _no_counter(exc: queue.QueueError) -> Any:
    return render("office/message.html", title="Không có quầy", message=str(exc)), 404


@bp.get("/counters/<id:counter_id>")
@staff_required("counter.work")
def counter_page(counter_id: int) -> Any:
    try:
        context = _context(counter_id)
    except queue.QueueError as exc:
        return _no_counter(exc)
    return render("office/counter.html", "panel", **context)


def _if_current() -> int | None:
    raw = request.form.get("if_current", "")
    return int(raw) if raw.isdigit() else None  # compared in Python only, never in SQL


@bp.post("/counters/<id:counter_id>/<action>")
@staff_required("counter.work")
def counter_action(counter_id: int, action: str) -> Any:
    if action not in queue.ACTIONS:
        return render("office/message.html", title="Không có thao tác này", message=action), 404
    user = current_user()
    assert isinstance(user, User)
    kind, _, value = request.form.get("target", "").partition(":")
    try:
        outcome = queue.perform(
            db(), action, counter_id, user,
            if_current=_if_current(),
            tz=site_tz(),
            service_code=value if kind == "service" else None,
            to_counter_id=as_id(value) if kind == "counter" else None,
            number=request.form.get("number", ""),
        )  # fmt: skip
    except queue.QueueError as exc:
        if exc.code == "unknown_counter":
            return _no_counter(exc)
        flash(str(exc), "error")
    else:
        if outcome.message:
            flash(outcome.message, outcome.category)
    hub().poke()
    if is_htmx_fragment("panel"):
        try:
            context = _context(counter_id)
        except queue.QueueError as exc:
            return _no_counter(exc)
        return render("office/counter.html", "panel", **context)
    return redirect(url_for("office.counter_page", counter_id=counter_id))
