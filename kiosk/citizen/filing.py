"""The kiosk's *Nộp hồ sơ* (pick a procedure, scan the CCCD, fill the form, add the papers,
review, submit; the receipt shows and prints on this kiosk's printer) and *Tra cứu hồ sơ* (a
dossier's status from its code, or the receipt's QR code scanned, and a second fact)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, current_app, jsonify, request, session, url_for
from flask import redirect as go
from werkzeug.datastructures import MultiDict

from .. import filing
from ..domain import catalog, dossiers, idempotency
from ..domain.clock import local
from ..domain.dossiers import uploads
from ..qr import qr_svg
from ..web import db, render, site_tz, upload_folder, upload_limits
from . import bp, kiosk_caller
from .public_pages import check_status, status_context, unpaid_qr
from .queue import STATION_COOKIE


def _owner() -> str:
    """This kiosk session's uploads (`kiosk_caller`)."""
    return kiosk_caller()


def _procedure(code: str) -> Any:
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None or not any(ch.kind == "truc_tuyen" for ch in proc.channels):
        abort(404)
    return proc


def _thumb_url(upload_id: str) -> str:
    return url_for("kiosk.upload_thumb", upload_id=upload_id)


def _page(proc: Any, values: MultiDict[str, str] | None = None, **kw: Any) -> Any:
    posted = filing.read(values, proc) if values else None
    ctx = filing.form_context(proc, values, reusable=filing.reusable_for(db(), posted, None), **kw)
    return render(
        "kiosk/file.html",
        upload_url=url_for("kiosk.upload"),
        thumb_url=_thumb_url,
        **ctx,
    )


@bp.get("/file")
def file_pick() -> Any:
    q = request.args.get("q", "")[:200]
    return render("kiosk/file_pick.html", items=catalog.fileable(db(), q), q=q)


@bp.get("/file/<code>")
def file_form(code: str) -> Any:
    return _page(_procedure(code))


@bp.post("/file/<code>/scan")
def file_scan(code: str) -> Any:
    """The CCCD's QR code, typed by the scanner: fill the applicant, or say why not."""
    proc = _procedure(code)
    values = MultiDict(request.form)
    result = filing.scan(request.form.get("scan", ""))
    for key, value in result.values.items():
        values[key] = value
    return _page(proc, values, scan_message=result.message, scan_ok=result.ok)


@bp.post("/file/<code>")
def file_submit(code: str) -> Any:
    proc = _procedure(code)
    values = MultiDict(request.form)
    step = values.get("step", "review")
    if step == "edit":
        return _page(proc, values)
    posted = filing.read(values, proc)
    errors = dict(posted.errors)
    errors.update(filing.reuse_consented(db(), posted, proc, _owner(), None))
    papers = dossiers.Papers(files=tuple(posted.wanted), owner=_owner(), limits=upload_limits())
    if step != "submit" or errors:
        _, _, found = dossiers.check(
            db(), proc, posted.applicant, posted.fields, papers, complete=True
        )
        for key, message in found.items():  # what the citizen must do first stays on top
            errors.setdefault(key, message)
        if errors:
            return _page(proc, posted.values, errors=errors), 422
        ctx = filing.form_context(proc, posted.values)
        return render("kiosk/file_review.html", **ctx)
    printer = filing.kiosk_printer(request.cookies.get(STATION_COOKIE))
    try:
        got = dossiers.receive(
            db(), proc, posted.applicant, channel="online",
            site_code=current_app.config["SITE_CODE"], fields=posted.fields, papers=papers,
            idempotency_key=values.get("idempotency_key", "")[:64] or None, tz=site_tz(),
            print_on=filing.receipt_print(printer), caller=_owner(),
        )  # fmt: skip
    except idempotency.Conflict:
        values, errors = filing.used_key(posted.values)
        return _page(proc, values, errors=errors), 409
    except dossiers.DossierError as exc:
        return _page(proc, posted.values, errors=exc.errors), 422
    filed = [c for c in session.get("filed", []) if c != got.dossier.code][-4:]
    session["filed"] = [*filed, got.dossier.code]
    return go(url_for("kiosk.file_done", code=got.dossier.code), 303)


@bp.get("/file/done/<code>")
def file_done(code: str) -> Any:
    if code not in session.get("filed", []):
        abort(404)
    found = dossiers.find(db(), code)
    if found is None:
        abort(404)
    link = filing.receipt_print(filing.kiosk_printer(None)).link(found.code)
    tz = site_tz()
    return render(
        "kiosk/file_done.html",
        dossier=found,
        link=link,
        qr=qr_svg(link),
        due=local(found.due_at, tz) if found.due_at else None,
        received=local(found.received_at, tz),
        **unpaid_qr(found),
    )


# ---------------------------------------------------------------- uploads from the kiosk


@bp.post("/uploads")
def upload() -> Any:
    try:
        up = filing.store_request_file(_owner())
    except uploads.UploadRefused as exc:
        return jsonify({"error": {"code": "upload_refused", "message": str(exc)}}), exc.status
    return jsonify(
        {"id": up.id, "pages": up.pages, "size": up.size, "thumb": _thumb_url(up.id)}
    ), 201


@bp.get("/uploads/<upload_id>/thumb")
def upload_thumb(upload_id: str) -> Any:
    up = uploads.get(db(), upload_id)
    if up is None or not uploads.may_see(up, _owner()):
        abort(404)
    png = uploads.thumbnail(upload_folder(), up)
    resp = current_app.response_class(png, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=600"
    return resp


# ---------------------------------------------------------------- Tra cứu hồ sơ

#: A dossier code inside what a scanner typed (the status page address on a receipt).
CODE_IN = re.compile(r"([0-9A-Z]{2,4}(?:\.[0-9A-Z]{2,4}){3}-[0-9]{6}-[0-9]{4,})", re.I)


def code_from_scan(raw: str) -> str:
    """The dossier code a citizen typed, or the one inside a receipt's scanned QR address."""
    found = CODE_IN.search(raw[:300])
    return found.group(1).upper() if found else raw.strip()[:64]


@bp.route("/status", methods=["GET", "POST"])
def status() -> Any:
    """A dossier's status at the kiosk: the code typed, or the receipt's QR code scanned (the
    scanner types the status page's address, the code is taken from it)."""
    code = code_from_scan(request.values.get("code", ""))
    if request.method == "GET" or not code:
        return render("kiosk/status.html", code=code, message="")
    dossier, message = check_status(code, request.form.get("verify", ""))
    if dossier is None:
        return render("kiosk/status.html", code=code, message=message), 404
    return render("kiosk/status.html", code=dossier.code, rating_source="kiosk",
                  **status_context(dossier))  # fmt: skip
