"""The hall's TV displays: full screen, filtered by counters or services, with spoken calls.

Displays are public (they show only ticket numbers and counters), so a TV needs no account.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request

from .. import speech
from ..events import Filter, snapshot
from ..view_helpers import db, site_tz
from . import bp

#: Seconds a new call stays highlighted, however fast the next one comes.
MIN_HIGHLIGHT_SECONDS = 6
#: How many past calls the display keeps on screen.
HISTORY = 6


@bp.get("/display")
def display() -> str:
    flt = Filter.parse(request.args.get("counters"), request.args.get("services"))
    snap = snapshot(db(), flt, site_tz())
    return render_template(
        "office/display.html",
        snap=snap,
        query=request.query_string.decode("ascii", "replace"),
        min_highlight=MIN_HIGHLIGHT_SECONDS,
        history=HISTORY,
        title=request.args.get("title", "")[:80],
        call_text=speech.announcement_text("{number}", "{counter}"),
    )


@bp.get("/display/call.wav")
def call_audio() -> Any:
    number = request.args.get("number", "")
    counter = request.args.get("counter", "")
    if not counter.isdigit():
        abort(404)
    try:
        wav = speech.announcement_wav(number, int(counter))
    except ValueError:
        abort(404)
    resp = Response(wav, mimetype="audio/wav")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp
