"""The kiosk's look-up: home, procedure search and browsing, a procedure's page."""

from __future__ import annotations

import uuid

from flask import Response as FlaskResponse
from flask import abort, current_app, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import auth
from ..domain import catalog
from ..domain.clock import today
from ..models import LEVELS
from ..qr import qr_svg
from ..view_helpers import db, public_url, render, site_tz
from . import bp


def _level_arg() -> str | None:
    level = request.args.get("level") or None
    return level if level in LEVELS else None


@bp.get("/")
def home() -> FlaskResponse:
    return render("kiosk/home.html", levels=LEVELS)


@bp.get("/reset")
def reset() -> WerkzeugResponse:
    """Idle reset: forget this citizen's language and choices, back to the home screen. A
    staff member signed in on the same browser stays signed in (`auth.forget_citizen`)."""
    auth.forget_citizen()
    return redirect(url_for("kiosk.home"))


@bp.get("/search")
def search() -> FlaskResponse:
    q = request.args.get("q", "")[:200]
    field = request.args.get("field") or None
    level = _level_arg()
    result = catalog.search(
        db(), q, field=field, level=level, limit=int(current_app.config["SEARCH_LIMIT"])
    )
    return render(
        "kiosk/search.html",
        block="results",
        q=q,
        field=field,
        level=level,
        result=result,
        levels=LEVELS,
    )


@bp.get("/fields")
def fields() -> FlaskResponse:
    level = _level_arg()
    return render(
        "kiosk/fields.html", fields=catalog.fields(db(), level), level=level, levels=LEVELS
    )


@bp.get("/procedures/<code>")
def procedure(code: str) -> FlaskResponse:
    proc = catalog.get_procedure(db(), code)
    if proc is None:
        abort(404)
    phone_url = public_url(url_for("kiosk.procedure", code=code))
    return render(
        "kiosk/procedure.html",
        proc=proc,
        channels=catalog.fees_on(proc, today(site_tz())),
        phone_url=phone_url,
        qr=qr_svg(phone_url),
        levels=LEVELS,
        take_key=uuid.uuid4().hex,
        # Filed at the kiosk when the catalog has its online channel (as `dossiers._procedure`).
        fileable=any(ch.kind == "truc_tuyen" for ch in proc.channels),
        # "← Tra cứu": back to the search as it was (its words, its filters).
        back_url=url_for(
            "kiosk.search",
            q=request.args.get("q", "")[:200] or None,
            field=request.args.get("field", "")[:200] or None,
            level=_level_arg(),
        ),
    )
