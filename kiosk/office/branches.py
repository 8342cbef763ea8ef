"""The admin's pages for the bank partners: banks' branches acting as public service agents,
their agents, supervisors and receipt printer (`branches.manage`), and the whole audit log
(`audit.read`).
The same can be done by command: `kiosk branches create`, `kiosk users create --branch`."""

from __future__ import annotations

from typing import Any

from flask import flash, get_flashed_messages, redirect, request, url_for
from sqlalchemy import func, select

from .. import report_pages
from ..auth import current_user, staff_required
from ..domain import accounts, places
from ..domain.accounts import audit, branches
from ..models import Dossier, User
from ..web import db, printer_policy, render
from . import bp


@bp.route("/branches", methods=["GET", "POST"])
@staff_required("branches.manage")
def branches_page() -> Any:
    """Branches by bank, with their people and dossiers; a form for a branch and one for an
    account of a branch."""
    error = ""
    actor = current_user()
    assert isinstance(actor, User)
    if request.method == "POST":
        f = request.form
        try:
            if f.get("what") == "branch":
                made = branches.create_branch(
                    db(), f.get("code", "")[:40], bank=f.get("bank", "")[:32],
                    name=f.get("name", "")[:256], commune=f.get("commune", "")[:8],
                )  # fmt: skip
                audit.record(db(), actor, "branch.create", branch=made.code, detail=made.name)
                db().commit()
                flash(f"Đã tạo chi nhánh {made.code}.", "ok")
            elif f.get("what") == "printer":
                branch = branches.set_printer(
                    db(), f.get("branch", "")[:40], f.get("printer_url", "")[:255],
                    f.get("printer_profile", "")[:64], policy=printer_policy(),
                )  # fmt: skip
                audit.record(db(), actor, "branch.printer", branch=branch.code,
                             detail=branch.printer_url or "mặc định")  # fmt: skip
                db().commit()
                flash(f"Đã lưu máy in của chi nhánh {branch.code}.", "ok")
            else:
                role = f.get("role", "")
                if role not in accounts.BRANCH_ROLES:
                    raise accounts.IdentityError("Chọn vai trò đại lý hoặc kiểm soát viên.")
                user = accounts.create_user(
                    db(), f.get("username", "")[:65], f.get("password", "")[:200], role,
                    f.get("full_name", "")[:255], f.get("branch", "")[:40],
                    must_change_password=True,  # the admin chose it: the owner chooses their own
                )  # fmt: skip
                audit.record(db(), actor, "user.create", branch=user.branch_code or "",
                             detail=f"{role} {user.username}")  # fmt: skip
                db().commit()
                flash(f"Đã tạo tài khoản {user.username}.", "ok")
        except (branches.BranchError, accounts.IdentityError) as exc:
            error = str(exc)
        else:
            return redirect(url_for("office.branches_page"), 303)
    people = dict(
        db().execute(select(User.branch_code, func.count(User.id)).group_by(User.branch_code)).all()
    )
    filed = dict(
        db().execute(
            select(Dossier.branch_code, func.count(Dossier.id))
            .where(Dossier.branch_code.is_not(None)).group_by(Dossier.branch_code)
        ).all()
    )  # fmt: skip
    return render(
        "office/branches.html", rows=branches.all_branches(db()), people=people, filed=filed,
        banks=sorted(set(branches.bank_names().values())), error=error, form=request.form,
        commune=places.get_commune, messages=get_flashed_messages(with_categories=True),
    ), (400 if error else 200)  # fmt: skip


@bp.get("/audit")
@staff_required("audit.read")
def audit_log() -> Any:
    """Every entry of the audit log, the center's and every branch's."""
    return report_pages.audit_page(None, "office.audit_log", "office")
