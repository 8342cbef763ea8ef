"""The kiosk's *Lấy số thứ tự*: choose a service, get a ticket (printed, and shown with its QR
code), and the station cookie that tells a kiosk machine which printer is its own."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    request,
    url_for,
)

from ..domain import catalog, printing, queue
from ..domain.clock import local, utcnow
from ..qr import qr_svg
from ..view_helpers import db, hub, render, site_tz, ticket_print
from . import bp, kiosk_caller

#: The cookie that names this kiosk's station (set once by /kiosk/station/CODE).
STATION_COOKIE = "kiosk_station"


@bp.get("/queue")
def take_number() -> Any:
    now = utcnow()
    tz = site_tz()
    services = queue.services(db())
    day = local(now, tz).date()
    waiting = queue.waiting_by_service(db(), [s.id for s in services], day, show=0)
    return render(
        "kiosk/queue.html",
        services=[(s, waiting[s.id].count, queue.is_open(s, now, tz)) for s in services],
        key=uuid.uuid4().hex,
        errors=get_flashed_messages(category_filter=["error"]),
    )


@bp.get("/station/<code>")
def set_station(code: str) -> Any:
    """Tell this kiosk machine which station it is (a cookie that outlives idle resets)."""
    station = printing.find_station(db(), code)
    if station is None:
        abort(404)
    resp = redirect(url_for("kiosk.home"))
    resp.set_cookie(
        STATION_COOKIE, station.code, max_age=10 * 365 * 86400, httponly=True, samesite="Lax"
    )
    return resp


@bp.post("/queue")
def issue() -> Any:
    code = request.form.get("service", "")[:16]
    procedure = request.form.get("procedure", "")[:32]
    if procedure and not code:
        proc = catalog.get_procedure(db(), procedure)
        svc = queue.service_for_procedure(db(), proc) if proc else None
        code = svc.code if svc else ""
    try:
        info = queue.issue_ticket(
            db(),
            code,
            priority=request.form.get("priority") == "on",
            idempotency_key=request.form.get("key", "")[:64] or None,
            procedure_code=procedure,
            enforce_hours=bool(current_app.config["QUEUE_ENFORCE_HOURS"]),
            tz=site_tz(),
            print_on=ticket_print(request.cookies.get(STATION_COOKIE)),
            caller=kiosk_caller(),
        )
    except queue.QueueError as exc:
        message = str(exc) if code else "Chưa có quầy nhận thủ tục này. Vui lòng chọn dịch vụ."
        flash(message, "error")
        return redirect(url_for("kiosk.take_number"))
    hub().poke()
    return redirect(url_for("kiosk.ticket_screen", token=info.ticket.token))


@bp.get("/queue/<token>")
def ticket_screen(token: str) -> Any:
    ticket = queue.find_ticket(db(), token)
    if ticket is None:
        abort(404)
    info = queue.ticket_info(db(), ticket, tz=site_tz())
    spec = ticket_print(request.cookies.get(STATION_COOKIE))
    link = spec.link(ticket.token)
    return render(
        "kiosk/ticket.html",
        info=info,
        ticket=ticket,
        link=link,
        qr=qr_svg(link),
        printer_trouble=printing.in_trouble(db(), spec.printer),
        issued=local(ticket.issued_at, site_tz()),
        closed=not queue.is_open(ticket.service, utcnow(), site_tz()),
    )
