"""The kiosk's "Lấy số thứ tự" and the public page a ticket's QR code opens (/t/<token>)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from printers import to_escpos

from .domain import catalog, queue, spooler
from .domain.clock import local, utcnow
from .models import KioskStation, PrinterState
from .printing import profile_width, ticket_job
from .qr import qr_svg
from .views import bp as kiosk_bp
from .web import db, hub, public_url, render, site_tz

log = logging.getLogger(__name__)
public = Blueprint("public", __name__)
PRINTER_TROUBLE = {"offline", "paper_out", "cover_open"}


@kiosk_bp.get("/queue")
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


def _printer() -> tuple[str, str]:
    """This kiosk's printer: its station's (KIOSK station cookie), else the default."""
    code = request.cookies.get("kiosk_station")
    if code:
        station = db().scalar(select(KioskStation).where(KioskStation.code == code))
        if station is not None and station.printer_url:
            return station.printer_url, station.printer_profile or "TM-T20II"
    return current_app.config["PRINTER_URL"], current_app.config["PRINTER_PROFILE"]


@kiosk_bp.get("/station/<code>")
def set_station(code: str) -> Any:
    """Tell this kiosk machine which station it is (a cookie that outlives idle resets)."""
    station = db().scalar(select(KioskStation).where(KioskStation.code == code.upper()[:16]))
    if station is None:
        abort(404)
    resp = redirect(url_for("kiosk.home"))
    resp.set_cookie(
        "kiosk_station", station.code, max_age=10 * 365 * 86400, httponly=True, samesite="Lax"
    )
    return resp


@kiosk_bp.post("/queue")
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
        )
    except queue.QueueError as exc:
        message = str(exc) if code else "Chưa có quầy nhận thủ tục này. Vui lòng chọn dịch vụ."
        flash(message, "error")
        return redirect(url_for("kiosk.take_number"))
    hub().poke()
    if info.created:
        _print_ticket(info)
    return redirect(url_for("kiosk.ticket_screen", token=info.ticket.token))


def _print_ticket(info: queue.TicketInfo) -> None:
    """Store the print job; the spooler prints it. A failure here never loses the ticket."""
    t = info.ticket
    url, profile = _printer()
    try:
        job = ticket_job(
            t.number, t.service.name, info.ahead, info.estimated_wait_minutes, t.priority,
            local(t.issued_at, site_tz()), public_url(url_for("public.ticket", token=t.token)),
            current_app.config["SITE_NAME"], profile_width(profile),
        )  # fmt: skip
        spooler.enqueue(
            db(), url, profile, to_escpos(job, profile), kind="ticket", title=f"Số {t.number}"
        )
    except Exception:  # noqa: BLE001 - the screen still shows the ticket and its QR code
        log.exception("could not queue the ticket %s for printing", t.number)
        db().rollback()
        session["print_failed"] = t.token


@kiosk_bp.get("/queue/<token>")
def ticket_screen(token: str) -> Any:
    ticket = queue.find_ticket(db(), token)
    if ticket is None:
        abort(404)
    info = queue.ticket_info(db(), ticket, tz=site_tz())
    url, _profile = _printer()
    state = db().get(PrinterState, url)
    printer_trouble = session.pop("print_failed", None) == token or (
        state is not None and state.status in PRINTER_TROUBLE
    )
    link = public_url(url_for("public.ticket", token=ticket.token))
    return render(
        "kiosk/ticket.html",
        info=info,
        ticket=ticket,
        link=link,
        qr=qr_svg(link),
        printer_trouble=printer_trouble,
        issued=local(ticket.issued_at, site_tz()),
        closed=not queue.is_open(ticket.service, utcnow(), site_tz()),
    )


@public.get("/t/<token>")
def ticket(token: str) -> Any:
    found = queue.find_ticket(db(), token)
    if found is None:
        return render("public/ticket.html", info=None, block="status"), 404
    info = queue.ticket_info(db(), found, tz=site_tz())
    return render(
        "public/ticket.html",
        "status",
        info=info,
        ticket=found,
        issued=local(found.issued_at, site_tz()),
        closed=not queue.is_open(found.service, utcnow(), site_tz()),
    )


@public.get("/t/")
def index() -> Any:
    return redirect(url_for("kiosk.home"))
