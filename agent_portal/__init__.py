"""The agents' surface: bank-branch staff acting as public service agents.

- `/agent/`: the look-up an agent starts from, procedures that can be filed online on a
  citizen's behalf (public, as the catalog is);
- `/agent/dossiers`: the branch's worklist, results ready to hand back first (signed in, with
  `agent.work`; an agent sees their own branch's dossiers only, `dossiers.visible`).

Filing on the portal with the printed authorization, cash receipts, the hand-back, branch
reports and the audit screen are the rest of issue 11.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, get_flashed_messages, redirect, request, url_for
from flask import Response as FlaskResponse
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk.auth import current_user, staff_required
from kiosk.domain import catalog, dossiers
from kiosk.domain.clock import local
from kiosk.domain.dossier_states import LABELS, DossierState, TransitionRefused
from kiosk.models import Branch, User
from kiosk.web import db, render, site_tz

bp = Blueprint("agent_portal", __name__, url_prefix="/agent")


@bp.get("/")
def index() -> FlaskResponse:
    q = request.args.get("q", "")[:200]
    result = catalog.search(db(), q, limit=50, online_only=True)
    return render("agent_portal/index.html", block="results", q=q, result=result)


@bp.get("/dossiers")
@staff_required("agent.work")
def worklist() -> FlaskResponse:
    user = current_user()
    assert isinstance(user, User)
    branch = dossiers.branch_of(user) or ""
    tz = site_tz()
    rows = [
        {
            "d": d,
            "label": LABELS[DossierState(d.status)],
            "due": local(p, tz) if (p := dossiers.promised(d)) else None,
            "ready": d.status == "resolved",
        }
        for d in dossiers.branch_worklist(db(), branch)
    ]
    return render(
        "agent_portal/dossiers.html", rows=rows, branch=db().get(Branch, branch),
        messages=get_flashed_messages(with_categories=True),
    )  # fmt: skip


@bp.post("/dossiers/<code>/hand-back")
@staff_required("dossier.hand_back")
def hand_back(code: str) -> WerkzeugResponse:
    """The result handed to the citizen at the branch: who received it, which ID was checked."""
    user = current_user()
    assert isinstance(user, User)
    found = dossiers.visible(db(), user, code[:64])
    if found is None:
        abort(404)  # another branch's dossier reads as one that does not exist
    try:
        dossiers.hand_back(db(), found, user, request.form.get("receiver", "")[:256],
                           request.form.get("id_checked", "")[:32])  # fmt: skip
    except TransitionRefused as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã ghi nhận trả kết quả hồ sơ {found.code}.", "ok")
    return redirect(url_for("agent_portal.worklist"), 303)
