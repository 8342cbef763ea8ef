"""Public pages a citizen's phone opens from a QR code: a ticket's live status (`/t/<token>`)."""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for

from ..domain import queue
from ..domain.clock import local, utcnow
from ..web import db, render, site_tz
from . import public


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
