"""The agents' surface: bank-branch staff acting as public service agents.

This first page is the look-up an agent starts from: procedures that can be filed online on a
citizen's behalf (the agent files through the online channel). Sign-in, filing with recorded
consent and fee collection come with the dossier work.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask import Response as FlaskResponse

from kiosk.domain import catalog
from kiosk.web import db, render

bp = Blueprint("agent_portal", __name__, url_prefix="/agent")


@bp.get("/")
def index() -> FlaskResponse:
    q = request.args.get("q", "")[:200]
    result = catalog.search(db(), q, limit=50, online_only=True)
    return render("agent_portal/index.html", block="results", q=q, result=result)
