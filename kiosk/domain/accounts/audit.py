"""The audit log (*nhật ký*): every read of a citizen's data by staff or agents and every money
or consent action, with actor, time, branch, dossier and outcome. Append-only: this module only
adds entries, and nothing in the code updates or deletes one (Decree 13/2023 on personal data)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import AuditEntry, User
from ..clock import utcnow
from ..text import N_


def record(
    session: Session, actor: User | None, action: str, *, dossier: str = "", branch: str = "",
    detail: str = "", outcome: str = "ok",
) -> AuditEntry:  # fmt: skip
    """Add an entry in the caller's transaction (commit it with the action it records). What an
    agent or supervisor does is always under their own branch, whatever the caller passed."""
    if actor is not None and actor.branch_code:
        branch = actor.branch_code
    entry = AuditEntry(
        at=utcnow(), actor_id=actor.id if actor else None,
        actor_name=(actor.full_name or actor.username) if actor else "", action=action[:48],
        dossier_code=dossier[:40], branch_code=branch[:32], detail=detail[:1000],
        outcome=outcome[:16],
    )  # fmt: skip
    session.add(entry)
    return entry


#: How many entries a page of the log shows.
PAGE = 200


def entries(
    session: Session, *, branch: str | None, start: dt.datetime, end: dt.datetime,
    action: str = "", dossier: str = "", before_id: int | None = None, limit: int = PAGE,
) -> list[AuditEntry]:  # fmt: skip
    """Entries between `start` and `end` (UTC), newest first: a branch's only when `branch`
    is given (a supervisor's view), every one when it is None (an admin's)."""
    q = select(AuditEntry).where(AuditEntry.at >= start, AuditEntry.at < end)
    if branch is not None:
        q = q.where(AuditEntry.branch_code == branch)
    if action:
        q = q.where(AuditEntry.action == action[:48])
    if dossier:
        q = q.where(AuditEntry.dossier_code == dossier.strip().upper()[:40])
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    return list(session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit)))


#: What each action means, for the screens.
ACTIONS = {
    "dossier.view": N_("Xem hồ sơ"),
    "dossier.file": N_("Nộp hồ sơ thay công dân"),
    "consent.print": N_("In giấy ủy quyền"),
    "payment.cash": N_("Thu tiền mặt"),
    "payment.vietqr": N_("Tạo mã VietQR"),
    "payment.refund": N_("Hoàn tiền"),
    "receipt.print": N_("In lại giấy tiếp nhận"),
    "receipt.cash": N_("In lại biên nhận tiền mặt"),
    "dossier.hand_back": N_("Trả kết quả"),
    "cash.remit": N_("Nộp tiền về cơ quan"),
    "upload.view": N_("Xem tệp giấy tờ"),
    "account.add": N_("Thêm tài khoản thu phí"),
    "user.create": N_("Tạo tài khoản"),
    "user.lock": N_("Khóa tài khoản"),
    "user.unlock": N_("Mở khóa tài khoản"),
    "user.password": N_("Đổi mật khẩu"),
    "user.password_reset": N_("Đặt lại mật khẩu"),
    "branch.create": N_("Tạo chi nhánh"),
    "branch.printer": N_("Đặt máy in của chi nhánh"),
}
