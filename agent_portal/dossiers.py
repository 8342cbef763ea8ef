"""The branch's dossiers: the worklist, a dossier's page with its fee (cash with a printed
receipt, or a VietQR code the citizen pays with their banking app), its receipts printed again,
and the hand-back of the result. Every read of a dossier goes into the audit log."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk import dossier_form
from kiosk.auth import staff_required
from kiosk.domain import dossiers, money
from kiosk.domain.accounts import can
from kiosk.domain.clock import local
from kiosk.domain.dossiers import (
    LABELS,
    DossierState,
    FeeOwed,
    HandBackInvalid,
    TransitionRefused,
    uploads,
)
from kiosk.domain.text import format_vnd
from kiosk.models import Branch, Dossier, Upload
from kiosk.qr import qr_svg
from kiosk.view_helpers import db, elsewhere, render, site_tz, upload_folder

from . import bp, log, may, me, printer, signed_in


def _visible(code: str) -> Dossier:
    """The dossier if it is this branch's; 404 otherwise, as for a code that does not exist.
    The refused look-up goes into the audit log under the agent's own branch (outcome
    `not_found`), so their supervisor sees an agent trying codes; the answer is the same."""
    found = dossiers.visible(db(), me(), code[:64])
    if found is None:
        log("dossier.view", code[:40], request.path[:200], outcome="not_found")
        db().commit()
        abort(404)
    return found


def _branch_name() -> str:
    branch = db().get(Branch, me().branch_code or "")
    return branch.name if branch else ""


@bp.get("/dossiers")
@staff_required("agent.work")
def worklist() -> Response:
    branch = dossiers.branch_of(me()) or ""
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


def _fee(d: Dossier) -> dict[str, Any]:
    """What the fee block of a dossier's page shows."""
    fee = money.fee_state(db(), d)
    return {
        "d": d,
        "owed": fee.owed,
        "pending": fee.pending,
        "qr": qr_svg(fee.pending.payload) if fee.pending is not None else "",
        "paid": fee.settled,
        "can_cash": can(me(), "payment.cash"),
        "read_only": elsewhere(d),
    }


@bp.get("/dossiers/<code>")
@signed_in
def dossier_page(code: str) -> Response:
    return _dossier_page(_visible(code))


def _dossier_page(d: Dossier, **hand_back_form: Any) -> Response:
    """The dossier's page; `hand_back_form` (`hb_errors`, `hb_values`) brings a refused
    hand-back back with its messages beside the fields and what was typed."""
    may("agent.work")
    log("dossier.view", d.code)
    db().commit()
    tz = site_tz()
    due = dossiers.promised(d)
    kept = db().scalars(select(Upload).where(Upload.dossier_id == d.id)).all()
    papers = [u for u in kept if u.document_name not in uploads.NOT_PAPERS]
    result = next((u for u in kept if u.document_name == uploads.RESULT), None)
    consent = next((u for u in kept if u.document_name == uploads.CONSENT), None)
    return render(
        "agent_portal/dossier.html", label=LABELS[DossierState(d.status)],
        due=local(due, tz) if due else None, received=local(d.received_at, tz),
        papers=papers, result=result, consent=consent, steps=dossiers.timeline(d, tz),
        id_kinds=dossiers.ID_KINDS,
        messages=get_flashed_messages(with_categories=True), **_fee(d), **hand_back_form,
    )  # fmt: skip


@bp.get("/dossiers/<code>/papers/<upload_id>")
@signed_in
def dossier_paper(code: str, upload_id: str) -> Any:
    """One of the papers filed with the dossier, to open as the office does: only the branch's
    own dossier's (another branch's reads as missing), and every opening goes into the audit
    log."""
    d = _visible(code)
    may("agent.work")
    up = db().scalar(
        select(Upload).where(Upload.id == upload_id[:64], Upload.dossier_id == d.id)
    )  # fmt: skip
    if up is None or up.document_name in uploads.NOT_PAPERS or not up.stored_name:
        abort(404)
    log("upload.view", d.code, up.document_name[:200])
    db().commit()
    ext = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[up.media_type]
    resp = send_file(
        uploads.path_of(upload_folder(), up), mimetype=up.media_type,
        download_name=f"{up.document_name or 'tep'}{ext}"[:120], conditional=True,
    )  # fmt: skip
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@bp.get("/dossiers/<code>/result")
@signed_in
def dossier_result(code: str) -> Any:
    """The dossier's digitized result, to open and print for the citizen at hand-back: only for
    the branch's own dossier, and every opening goes into the audit log."""
    d = _visible(code)
    may("agent.work")
    up = db().scalar(
        select(Upload).where(Upload.dossier_id == d.id, Upload.document_name == uploads.RESULT)
        .order_by(Upload.created_at.desc()).limit(1)
    )  # fmt: skip
    if up is None:
        abort(404)
    log("upload.view", d.code, "kết quả số hóa")
    db().commit()
    ext = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[up.media_type]
    resp = send_file(
        uploads.path_of(upload_folder(), up), mimetype=up.media_type,
        download_name=f"ket-qua-{d.code}{ext}", conditional=True,
    )  # fmt: skip
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@bp.get("/dossiers/<code>/fee")
@signed_in
def dossier_fee(code: str) -> Response:
    """The fee block alone, which the page polls while a VietQR code waits for the bank."""
    d = _visible(code)
    may("agent.work")
    return render("agent_portal/_fee.html", **_fee(d))


def _back(d: Dossier) -> WerkzeugResponse:
    return redirect(url_for("agent_portal.dossier_page", code=d.code), 303)


@bp.post("/dossiers/<code>/cash")
@signed_in
def dossier_cash(code: str) -> WerkzeugResponse:
    """Cash taken at the branch's desk, for exactly what is owed, with its receipt printed in
    the same transaction."""
    d = _visible(code)
    may("payment.cash")
    if why := elsewhere(d):  # another site's, at the province's hub: read-only here
        flash(why, "error")
        return _back(d)
    raw = request.form.get("amount", "").replace(".", "").replace(",", "").strip()[:13]
    if not raw.isdigit():
        flash("Nhập số tiền bằng số.", "error")
        return _back(d)
    then = dossier_form.cash_receipt(printer(), place=_branch_name(), collector=me(), dossier=d)
    try:
        paid = money.record_cash(db(), d, me(), int(raw), then=then)
    except money.PaymentError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã thu tiền mặt {format_vnd(paid.amount_vnd)}; biên nhận {paid.reference} đang "
              "in.", "ok")  # fmt: skip
    return _back(d)


@bp.post("/dossiers/<code>/vietqr")
@signed_in
def dossier_vietqr(code: str) -> Any:
    """The fee as a VietQR code on the screen (turned to the citizen) and on a printed slip;
    it becomes paid only when the bank says so."""
    d = _visible(code)
    may("agent.work")
    if why := elsewhere(d):  # another site's, at the province's hub: read-only here
        flash(why, "error")
        return _back(d)
    try:
        payment = money.open_payment(db(), d)
    except money.PaymentError as exc:
        flash(str(exc), "error")
        return _back(d)
    if payment is None:
        flash("Hồ sơ này không còn khoản phí nào phải nộp.", "error")
        return _back(d)
    money.fee_slip_job(db(), payment, d, printer(),
                          str(current_app.config["SITE_NAME"]), site_tz())  # fmt: skip
    log("payment.vietqr", d.code, f"{format_vnd(payment.amount_vnd)}, mã {payment.reference}")
    db().commit()
    flash("Mời công dân quét mã VietQR bằng ứng dụng ngân hàng; phiếu thu đang in.", "ok")
    return _back(d)


@bp.post("/dossiers/<code>/receipt")
@signed_in
def dossier_receipt(code: str) -> WerkzeugResponse:
    """The dossier's receipt (form 01) printed again."""
    d = _visible(code)
    may("agent.work")
    dossiers.print_receipt_again(db(), d, dossier_form.receipt_print(printer()), me())
    log("receipt.print", d.code)
    db().commit()
    flash("Giấy tiếp nhận đang in lại.", "ok")
    return _back(d)


@bp.post("/payments/<reference>/receipt")
@signed_in
def payment_receipt(reference: str) -> WerkzeugResponse:
    """A cash receipt printed again: only for cash this branch took."""
    payment = money.find(db(), reference[:25])
    d = db().get(Dossier, payment.dossier_id) if payment is not None else None
    if payment is None or d is None or dossiers.visible(db(), me(), d.code) is None:
        abort(404)
    if payment.method != "cash" or payment.status != money.PaymentState.PAID:
        abort(404)
    may("payment.cash")
    dossier_form.cash_receipt(printer(), place=_branch_name(), collector=me(), dossier=d)(payment)
    log("receipt.cash", d.code, f"in lại biên nhận {payment.reference}")
    db().commit()
    flash(f"Biên nhận {payment.reference} đang in lại.", "ok")
    return _back(d)


@bp.post("/dossiers/<code>/hand-back")
@signed_in
def hand_back(code: str) -> WerkzeugResponse:
    """The result handed to the citizen at the branch: who received it, which ID was checked."""
    found = _visible(code)
    may("dossier.hand_back")
    if why := elsewhere(found):
        flash(why, "error")
        return _back(found)
    try:
        dossiers.hand_back(db(), found, me(), request.form.get("receiver", "")[:256],
                           request.form.get("id_checked", "")[:32],
                           id_kind=request.form.get("id_kind", "cccd")[:16])  # fmt: skip
    except HandBackInvalid as exc:
        page = _dossier_page(found, hb_errors=exc.errors, hb_values=request.form)
        page.status_code = 422
        return page
    except FeeOwed as exc:  # the hand-back's card says it, beside the fee's collection
        page = _dossier_page(found, hb_errors={"fee": str(exc)}, hb_values=request.form)
        page.status_code = 422
        return page
    except TransitionRefused as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã ghi nhận trả kết quả hồ sơ {found.code}.", "ok")
    target = request.form.get("back") == "page"
    return _back(found) if target else redirect(url_for("agent_portal.worklist"), 303)
