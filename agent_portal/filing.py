"""`/agent/file/<code>`: filing a dossier for a citizen, with their signed authorization.

The agent prints the authorization filled with the citizen's data (an A4 PDF for the branch's
office printer, in the audit log as `consent.print`), has it signed, uploads the scan back
(`consent`), fills the form and the papers (the same form and checks as the kiosk's), and
submits: the dossier records the agent and the branch, and the citizen's receipt prints. The
agent then lands on the dossier's page to collect the fee."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from kiosk import dossier_form
from kiosk.auth import staff_required
from kiosk.domain import catalog, dossiers, idempotency
from kiosk.domain.catalog import forms
from kiosk.domain.clock import local, utcnow
from kiosk.domain.dossiers import uploads
from kiosk.models import Branch
from kiosk.view_helpers import db, render, site_tz, upload_folder, upload_limits

from . import bp, log, may, me, owner, printer, signed_in


def _thumb_url(upload_id: str) -> str:
    return url_for("agent_portal.upload_thumb", upload_id=upload_id)


def _procedure(code: str) -> Any:
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None or not any(ch.kind == "truc_tuyen" for ch in proc.channels):
        abort(404)
    return proc


def _file_page(proc: Any, values: MultiDict[str, str] | None = None, **kw: Any) -> Any:
    ctx = dossier_form.form_context(proc, values, fee_channel="truc_tuyen", **kw)
    return render(
        "agent_portal/file.html", upload_url=url_for("agent_portal.upload"),
        thumb_url=_thumb_url, consent_id=(values or MultiDict()).get("consent", ""), **ctx,
    )  # fmt: skip


@bp.get("/file/<code>")
@signed_in
def file_form(code: str) -> Any:
    proc = _procedure(code)
    may("agent.work")
    return _file_page(proc)


@bp.post("/file/<code>/scan")
@signed_in
def file_scan(code: str) -> Any:
    """The citizen's CCCD on the desk, its QR code typed by the scanner: the applicant's fields
    filled from the card (the counter's and the kiosk's scan), or why not."""
    proc = _procedure(code)
    may("agent.work")
    values = MultiDict(request.form)
    result = dossier_form.scan(request.form.get("scan", ""), proc)
    for key, value in result.values.items():
        values[key] = value
    return _file_page(proc, values, scan_message=result.message, scan_ok=result.ok)


@bp.post("/file/<code>/authorization")
@signed_in
def authorization(code: str) -> Any:
    """The authorization form filled with the citizen's data, as an A4 PDF to print and have
    signed."""
    from printers.layouts import authorization_pdf
    from printers.printouts import AuthorizationData

    proc = _procedure(code)
    may("agent.work")
    posted = dossier_form.read(MultiDict(request.form), proc)
    # Printed before anything is filed: the name and address pass the same check as filing.
    applicant, errors = dossiers.clean_applicant(posted.applicant)
    given = {"full_name": posted.applicant.full_name, "address": posted.applicant.address}
    refused = {k: errors[k] for k, value in given.items() if value and k in errors}
    if refused:
        return _file_page(proc, posted.values, errors=refused), 422
    agent = me()
    branch = db().get(Branch, agent.branch_code or "")
    reference = "UQ-" + secrets.token_hex(4).upper()
    data = AuthorizationData(
        site_name=str(current_app.config["SITE_NAME"]),
        branch_name=branch.name if branch else "", agent=agent.full_name,
        citizen=applicant.full_name or "……………………", cccd=posted.applicant.cccd or "……………",
        birth_date=posted.applicant.birth_date,
        address=forms.address_text(applicant.address) if applicant.address else "",
        phone=posted.applicant.phone, procedure=proc.name, procedure_code=proc.code,
        reference=reference, issued_at=local(utcnow(), site_tz()).replace(tzinfo=None),
    )  # fmt: skip
    log("consent.print", detail=f"{reference} {proc.code} {posted.applicant.cccd[-4:]}")
    db().commit()
    resp = current_app.response_class(authorization_pdf(data), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f"inline; filename=giay-uy-quyen-{reference}.pdf"
    return resp


@bp.post("/file/<code>")
@signed_in
def file_submit(code: str) -> Any:
    proc = _procedure(code)
    may("agent.work")
    values = MultiDict(request.form)
    posted = dossier_form.read(values, proc)
    consent = uploads.get(db(), values.get("consent", "")[:64])
    if consent is not None and not uploads.may_see(consent, owner()):
        consent = None
    papers = dossiers.Papers(files=tuple(posted.wanted), owner=owner(), limits=upload_limits())
    try:
        got = dossiers.receive(
            db(), proc, posted.applicant, channel="online",
            site_code=current_app.config["SITE_CODE"], fields=posted.fields, papers=papers,
            idempotency_key=values.get("idempotency_key", "")[:64] or None, tz=site_tz(),
            agent=me(), consent=consent, fee_rule=posted.fee_rule,
            print_on=dossier_form.receipt_print(printer()),
        )  # fmt: skip
    except idempotency.Conflict:
        values, errors = dossier_form.used_key(posted.values)
        return _file_page(proc, values, errors=errors), 409
    except dossiers.DossierError as exc:
        return _file_page(proc, posted.values, errors={**posted.errors, **exc.errors}), 422
    flash(f"Đã nộp hồ sơ {got.dossier.code} cho công dân; giấy tiếp nhận đang in.", "ok")
    return redirect(url_for("agent_portal.dossier_page", code=got.dossier.code), 303)


@bp.post("/uploads")
@staff_required("agent.work")
def upload() -> Any:
    try:
        up = dossier_form.store_request_file(owner())
    except uploads.UploadRefused as exc:
        return jsonify({"error": {"code": "upload_refused", "message": str(exc)}}), exc.status
    return jsonify({"id": up.id, "pages": up.pages, "thumb": _thumb_url(up.id)}), 201


@bp.get("/uploads/<upload_id>/thumb")
@signed_in
def upload_thumb(upload_id: str) -> Any:
    """An upload's thumbnail, for the agent who sent it, before it is filed."""
    up = uploads.get(db(), upload_id)
    if up is None or not uploads.may_see(up, owner()):
        abort(404)
    return current_app.response_class(uploads.thumbnail(upload_folder(), up), mimetype="image/png")
