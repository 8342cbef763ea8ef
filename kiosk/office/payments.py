"""Fees in the office: the collecting agencies' bank accounts, cash received at a counter (into
the audit log), and the daily reconciliation per account (`money.reconciliation`), with CSV
export."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from sqlalchemy import select

from .. import dossier_form
from ..auth import current_user, staff_required
from ..domain import dossiers, money
from ..domain.catalog import forms
from ..domain.clock import local, utcnow
from ..domain.text import format_vnd
from ..models import BankAccount, Dossier, User
from ..view_helpers import csv_download, db, elsewhere, render, site_tz
from . import bp


def _me() -> User:
    user = current_user()
    assert isinstance(user, User)
    return user


@bp.route("/accounts", methods=["GET", "POST"])
@staff_required("accounts.manage")
def accounts() -> Any:
    error = ""
    if request.method == "POST":
        try:
            money.add_account(
                db(), agency=request.form.get("agency", "")[:64],
                bank_bin=request.form.get("bank_bin", "")[:6],
                number=request.form.get("number", "")[:40],
                holder=request.form.get("holder", "")[:120],
                card=request.form.get("card") == "on", actor=_me(),
            )  # fmt: skip
        except money.PaymentError as exc:
            error = str(exc)
        else:
            flash("Đã lưu tài khoản; mã VietQR mới dùng tài khoản này.", "ok")
            return redirect(url_for("office.accounts"), 303)
    rows = db().scalars(select(BankAccount).order_by(BankAccount.agency, BankAccount.id.desc()))
    return render(
        "office/accounts.html", accounts=list(rows), banks=money.banks().values(),
        error=error, site=current_app.config["SITE_CODE"], form=request.form,
    ), (400 if error else 200)  # fmt: skip


@bp.post("/dossiers/<code>/cash")
@staff_required("payment.cash")
def dossier_cash(code: str) -> Any:
    # Found as every read finds it: an agent's another branch's dossier is a missing one.
    found = dossiers.visible(db(), _me(), code[:64])
    if found is None:
        abort(404)
    if why := elsewhere(found):
        flash(why, "error")
        return redirect(url_for("office.dossier_page", code=found.code), 303)
    raw = request.form.get("amount", "").replace(".", "").replace(",", "").strip()[:13]
    if not raw.isdigit():
        flash("Nhập số tiền bằng số.", "error")
        return redirect(url_for("office.dossier_page", code=found.code), 303)
    try:
        then = dossier_form.cash_receipt(dossier_form.desk_printer(_me()), place="",
                                         collector=_me(), dossier=found)  # fmt: skip
        paid = money.record_cash(db(), found, _me(), int(raw), then=then)
    except money.PaymentError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã ghi nhận tiền mặt {format_vnd(paid.amount_vnd)} (biên nhận {paid.reference} "
              "đang in).", "ok")  # fmt: skip
    return redirect(url_for("office.dossier_page", code=found.code), 303)


@bp.post("/payments/<reference>/refund")
@staff_required("payments.read")
def payment_refund(reference: str) -> Any:
    payment = money.find(db(), reference[:25])
    dossier = db().get(Dossier, payment.dossier_id) if payment is not None else None
    if payment is None or dossier is None or dossiers.visible(db(), _me(), dossier.code) is None:
        abort(404)
    if why := elsewhere(dossier):
        flash(why, "error")
        return redirect(url_for("office.dossier_page", code=dossier.code), 303)
    try:
        money.refund(db(), payment, _me(), request.form.get("reason", "")[:501])
    except money.PaymentError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã ghi nhận hoàn tiền khoản {payment.reference}.", "ok")
    return redirect(url_for("office.dossier_page", code=dossier.code), 303)


@bp.get("/payments")
@staff_required("payments.read")
def payment_report() -> Any:
    today = local(utcnow(), site_tz()).date()
    try:
        day = forms.parse_date(request.args.get("day", "")[:10]) or today
    except ValueError:
        day = today
    rows = money.reconciliation.daily(db(), day, site_tz())
    if request.args.get("format") == "csv":
        lines: list[list[Any]] = []
        for r in rows:
            acc = r.account
            lines.append([day.isoformat(), acc.number if acc else "(không khớp mã)",
                          acc.bank_name if acc else "", r.expected, r.expected_vnd,
                          r.received, r.received_vnd, len(r.flagged)])  # fmt: skip
        for r in rows:
            for n in r.flagged:
                why = f"{n.outcome}: {n.reference} {n.bank_txn_id} {n.reason}"
                lines.append([day.isoformat(), "", n.bank_code, "", "", "", n.amount or "", why])
        return csv_download(
            f"doi-soat-{day}.csv",
            ["ngay", "tai_khoan", "ngan_hang", "du_kien_so", "du_kien_dong", "da_nhan_so",
             "da_nhan_dong", "can_kiem_tra"], lines,
        )  # fmt: skip
    return render("office/payments.html", rows=rows, day=day, tz=site_tz(), local=local)
