"""A supervisor's pages for their own branch (`branch.supervise`): the report (dossiers per
procedure, day and agent; fees collected against cash handed over; SVG charts and CSV), the
cash hand-over, the audit log, and the branch's agents. Everything is confined to the
supervisor's branch; an account or an entry of another branch answers 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, get_flashed_messages, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk import charts, report_pages
from kiosk.auth import staff_required
from kiosk.domain import accounts, money
from kiosk.domain.clock import local
from kiosk.domain.money import PaymentError
from kiosk.domain.reports.branch import branch_report, recent_remittances
from kiosk.domain.text import format_vnd
from kiosk.models import Branch, User
from kiosk.view_helpers import csv_download, db, render, site_tz

from . import bp, me, signed_in


def _branch() -> str:
    return me().branch_code or "-"


def _short(day: dt.date) -> str:
    return day.strftime("%d/%m")


@bp.get("/reports")
@staff_required("branch.supervise")
def reports() -> Any:
    period = report_pages.period_from_args()
    r = branch_report(db(), _branch(), period, site_tz())
    table = request.args.get("table", "")
    name = f"{_branch()}-{period.start}-{period.end}"
    if table == "procedures":
        return csv_download(f"ho-so-theo-thu-tuc-{name}.csv", ["ma_thu_tuc", "thu_tuc", "so_ho_so"],
                            r.by_procedure)  # fmt: skip
    if table == "days":
        return csv_download(f"ho-so-theo-ngay-{name}.csv", ["ngay", "so_ho_so"],
                            [(d.isoformat(), n) for d, n in r.by_day])  # fmt: skip
    if table == "agents":
        return csv_download(
            f"ho-so-theo-dai-ly-{name}.csv",
            ["dai_ly", "so_ho_so", "so_khoan_tien_mat", "tien_mat_vnd"],
            [(a.name, a.dossiers, a.cash_payments, a.cash_vnd) for a in r.by_agent],
        )
    if table == "money":
        return csv_download(
            f"phi-le-phi-{name}.csv", ["ngay", "tien_mat_vnd", "chuyen_khoan_vnd"],
            [(m.day.isoformat(), m.cash_vnd, m.transfer_vnd) for m in r.money_by_day],
        )  # fmt: skip
    if table:
        abort(404)
    labels = [_short(d) for d, _n in r.by_day]
    return render(
        "agent_portal/reports.html", r=r, period=period,
        branch=db().get(Branch, _branch()),
        chart_days=charts.columns(labels, [(_("Hồ sơ"), [n for _day, n in r.by_day])],
                                  title=_("Hồ sơ nộp theo ngày")),
        chart_procedures=charts.bars([(f"{c} {n}", k) for c, n, k in r.by_procedure[:15]],
                                     title=_("Hồ sơ theo thủ tục")),
        chart_agents=charts.bars([(a.name, a.dossiers) for a in r.by_agent],
                                 title=_("Hồ sơ theo đại lý"), colour=charts.PALETTE[2]),
        chart_money=charts.columns(
            labels, [(_("Tiền mặt"), [m.cash_vnd for m in r.money_by_day]),
                     ("VietQR", [m.transfer_vnd for m in r.money_by_day])],
            title=_("Phí, lệ phí đã thu theo ngày (đồng)")),
        remittances=recent_remittances(db(), _branch(), 20), tz=site_tz(), local=local,
        messages=get_flashed_messages(with_categories=True),
    )  # fmt: skip


@bp.post("/remittances")
@staff_required("branch.supervise")
def remit() -> WerkzeugResponse:
    """The branch's cash handed over to the agency, with the transfer's reference."""
    try:
        row = money.remit(db(), _branch(), me(), request.form.get("reference", "")[:65])
    except PaymentError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã ghi nhận nộp {format_vnd(row.amount_vnd)} ({row.payments} khoản) về cơ quan.",
              "ok")  # fmt: skip
    return redirect(url_for("agent_portal.reports"), 303)


@bp.get("/audit")
@staff_required("branch.supervise")
def audit_log() -> Any:
    return report_pages.audit_page(_branch(), "agent_portal.audit_log", "office agent")


@bp.route("/team", methods=["GET", "POST"])
@staff_required("branch.supervise")
def team() -> Any:
    """The branch's accounts; a supervisor adds agents (the password is given once, to be
    changed by the agent)."""
    error = ""
    if request.method == "POST":
        try:
            accounts.add_agent(
                db(), me(), request.form.get("username", "")[:65],
                request.form.get("password", "")[:200], request.form.get("full_name", "")[:255],
            )  # fmt: skip
        except accounts.IdentityError as exc:
            error = str(exc)
        else:
            flash("Đã tạo tài khoản đại lý.", "ok")
            return redirect(url_for("agent_portal.team"), 303)
    return render(
        "agent_portal/team.html", people=accounts.team(db(), _branch()), error=error,
        form=request.form, branch=db().get(Branch, _branch()),
        messages=get_flashed_messages(with_categories=True),
    ), (400 if error else 200)  # fmt: skip


@bp.post("/team/<id:user_id>/active")
@signed_in
def team_active(user_id: int) -> WerkzeugResponse:
    """Lock or unlock an agent of the branch; another branch's account answers 404."""
    user = db().get(User, user_id)
    if user is None or user.branch_code != me().branch_code or not me().branch_code:
        abort(404)
    try:
        accounts.set_active(db(), me(), user, request.form.get("active") == "1")
    except accounts.Forbidden:
        abort(403)
    except accounts.IdentityError as exc:
        flash(str(exc), "error")
    return redirect(url_for("agent_portal.team"), 303)
