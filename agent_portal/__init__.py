"""The agents' surface: bank-branch staff acting as public service agents.

- `/agent/`: the look-up an agent starts from, procedures that can be filed online on a
  citizen's behalf (public, as the catalog is);
- `/agent/dossiers`: the branch's worklist, results ready to hand back first (signed in, with
  `agent.work`; an agent sees their own branch's dossiers only, `dossiers.visible`).

Filing on the portal with the printed authorization, cash receipts, the hand-back, branch
reports and the audit screen are the rest of issue 11.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask import Response as FlaskResponse
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk import filing
from kiosk.auth import current_user, staff_required
from kiosk.domain import audit, catalog, dossiers, forms, uploads
from kiosk.domain.clock import local, utcnow
from kiosk.domain.dossier_states import LABELS, DossierState, TransitionRefused
from kiosk.domain.identity import can
from kiosk.models import Branch, User
from kiosk.web import db, default_printer, render, site_tz, upload_folder, upload_limits

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


# ---------------------------------------------------------------- filing for a citizen


def _agent() -> User:
    user = current_user()
    assert isinstance(user, User)
    return user


def _owner() -> str:
    return f"user:{_agent().id}"


def _thumb_url(upload_id: str) -> str:
    return url_for("agent_portal.upload_thumb", upload_id=upload_id)


def _procedure(code: str) -> Any:
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None or not any(ch.kind == "truc_tuyen" for ch in proc.channels):
        abort(404)
    return proc


def _file_page(proc: Any, values: MultiDict[str, str] | None = None, **kw: Any) -> Any:
    ctx = filing.form_context(proc, values, **kw)
    return render(
        "agent_portal/file.html", upload_url=url_for("agent_portal.upload"),
        thumb_url=_thumb_url, consent_id=(values or MultiDict()).get("consent", ""), **ctx,
    )  # fmt: skip


def _signed_in(view: Any) -> Any:
    """Sign in first; what the account may do is checked after the look-up, so an unknown code
    answers 404 to anyone."""
    import functools

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path.rstrip("?")
            return redirect(url_for("office.login") + "?" + urlencode({"next": target}))
        return view(*args, **kwargs)

    return wrapper


def _may_file() -> None:
    if not can(current_user(), "agent.work"):
        abort(403)


@bp.get("/file/<code>")
@_signed_in
def file_form(code: str) -> Any:
    proc = _procedure(code)
    _may_file()
    return _file_page(proc)


@bp.post("/file/<code>/authorization")
@_signed_in
def authorization(code: str) -> Any:
    """The authorization form filled with the citizen's data, as an A4 PDF to print and have
    signed."""
    import secrets

    from printers.layouts import AuthorizationData, authorization_pdf

    proc = _procedure(code)
    _may_file()
    posted = filing.read(MultiDict(request.form), proc)
    agent = _agent()
    branch = db().get(Branch, agent.branch_code or "")
    reference = "UQ-" + secrets.token_hex(4).upper()
    data = AuthorizationData(
        site_name=str(current_app.config["SITE_NAME"]),
        branch_name=branch.name if branch else "", agent=agent.full_name,
        citizen=posted.applicant.full_name or "……………………", cccd=posted.applicant.cccd or "……………",
        birth_date=posted.applicant.birth_date,
        address=forms.address_text(posted.applicant.address) if posted.applicant.address else "",
        phone=posted.applicant.phone, procedure=proc.name, procedure_code=proc.code,
        reference=reference, issued_at=local(utcnow(), site_tz()).replace(tzinfo=None),
    )  # fmt: skip
    audit.record(db(), agent, "consent.print", branch=agent.branch_code or "",
                 detail=f"{reference} {proc.code} {posted.applicant.cccd[-4:]}")  # fmt: skip
    db().commit()
    resp = current_app.response_class(authorization_pdf(data), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f"inline; filename=giay-uy-quyen-{reference}.pdf"
    return resp


@bp.post("/file/<code>")
@_signed_in
def file_submit(code: str) -> Any:
    proc = _procedure(code)
    _may_file()
    values = MultiDict(request.form)
    posted = filing.read(values, proc)
    consent = uploads.get(db(), values.get("consent", "")[:64])
    if consent is not None and not uploads.may_see(consent, _owner()):
        consent = None
    papers = dossiers.Papers(files=tuple(posted.wanted), owner=_owner(), limits=upload_limits())
    try:
        got = dossiers.receive(
            db(), proc, posted.applicant, channel="online",
            site_code=current_app.config["SITE_CODE"], fields=posted.fields, papers=papers,
            idempotency_key=values.get("idempotency_key", "")[:64] or None, tz=site_tz(),
            agent=_agent(), consent=consent,
            print_on=filing.receipt_print(default_printer()),
        )  # fmt: skip
    except dossiers.DossierError as exc:
        return _file_page(proc, posted.values, errors={**posted.errors, **exc.errors}), 422
    flash(f"Đã nộp hồ sơ {got.dossier.code} cho công dân; giấy tiếp nhận đang in.", "ok")
    return redirect(url_for("agent_portal.worklist"), 303)


@bp.post("/uploads")
@staff_required("agent.work")
def upload() -> Any:
    try:
        up = filing.store_request_file(_owner())
    except uploads.UploadRefused as exc:
        return jsonify({"error": {"code": "upload_refused", "message": str(exc)}}), exc.status
    return jsonify({"id": up.id, "pages": up.pages, "thumb": _thumb_url(up.id)}), 201


@bp.get("/uploads/<upload_id>/thumb")
@_signed_in
def upload_thumb(upload_id: str) -> Any:
    up = uploads.get(db(), upload_id)
    if up is None or not uploads.may_see(up, _owner()):
        abort(404)
    return current_app.response_class(uploads.thumbnail(upload_folder(), up), mimetype="image/png")
