"""`/agent/`: the look-up an agent starts from; each procedure found opens its filing page."""

from __future__ import annotations

from flask import Response, request, url_for

from kiosk.domain import catalog
from kiosk.view_helpers import db, render

from . import bp


@bp.get("/")
def index() -> Response:
    q = request.args.get("q", "")[:200]
    result = catalog.search(db(), q, limit=50, online_only=True)
    return render("agent_portal/index.html", block="results", q=q, result=result,
                  result_url=lambda code: url_for("agent_portal.file_form", code=code))  # fmt: skip
