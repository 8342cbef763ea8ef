"""The kiosk's *Thanh toán*: a dossier's fee as a VietQR code on screen and on the printed fee
slip; the screen turns to "paid" by itself once the bank's notification arrives (an htmx poll).
The kiosk never marks anything paid."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, request, session, url_for

from printers.words import vnd_in_words

from .. import dossier_form
from ..domain import money
from ..qr import qr_svg
from ..view_helpers import db, elsewhere, render, site_tz
from . import bp
from .dossiers import code_from_scan
from .public_pages import check_status, seen_before
from .queue import STATION_COOKIE


def _remember(reference: str) -> None:
    seen = [r for r in session.get("payments", []) if r != reference][-4:]
    session["payments"] = [*seen, reference]


@bp.route("/pay", methods=["GET", "POST"])
def pay() -> Any:
    """The code and the second fact; what they show has its own address (POST, redirect, GET:
    the browser's back never asks to send the form again)."""
    code = code_from_scan(request.values.get("code", ""))
    if request.method == "GET" or not code:
        return render("kiosk/pay.html", code=code, message="")
    dossier, message = check_status(code, request.form.get("verify", ""))
    if dossier is None:
        return render("kiosk/pay.html", code=code, message=message), 404
    if why := elsewhere(dossier):  # another site's, at the province's hub: paid there
        return render("kiosk/pay.html", code=dossier.code, message=why), 409
    return redirect(url_for("kiosk.pay_dossier", code=dossier.code), 303)


@bp.get("/pay/d/<code>")
def pay_dossier(code: str) -> Any:
    """A dossier's fee, for the session that gave its second fact (`check_status`; the idle
    reset forgets it): anyone else is asked for the code and the fact again."""
    dossier = seen_before(code[:64])
    if dossier is None:
        return redirect(url_for("kiosk.pay", code=code[:64]), 303)
    if why := elsewhere(dossier):
        return render("kiosk/pay.html", code=dossier.code, message=why), 409
    if money.due_amount(db(), dossier) == 0:
        return render("kiosk/pay.html", code=dossier.code, dossier=dossier, paid=True)
    try:
        payment = money.open_payment(db(), dossier)
    except money.PaymentError as exc:
        return render("kiosk/pay.html", code=dossier.code, message=str(exc)), 409
    assert payment is not None
    if payment.reference not in session.get("payments", []):  # print once per screen
        printer = dossier_form.kiosk_printer(request.cookies.get(STATION_COOKIE))
        money.fee_slip_job(db(), payment, dossier, printer,
                              str(current_app.config["SITE_NAME"]), site_tz())  # fmt: skip
        db().commit()
    _remember(payment.reference)
    return render("kiosk/pay.html", code=dossier.code, dossier=dossier, payment=payment,
                  account=money.payee(db(), payment), qr=qr_svg(payment.payload),
                  words=vnd_in_words(payment.amount_vnd))  # fmt: skip


@bp.get("/pay/<reference>/status")
def pay_status(reference: str) -> Any:
    """The payment's state for the screen that shows its code (htmx polls it)."""
    if reference not in session.get("payments", []):
        abort(404)
    payment = money.find(db(), reference)
    if payment is None:
        abort(404)
    return render("kiosk/_pay_status.html", payment=payment)
