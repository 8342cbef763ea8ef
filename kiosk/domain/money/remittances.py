"""Cash a bank branch took for dossiers' fees is the agency's money held by the bank; a
supervisor records its hand-over to the agency (*nộp tiền về cơ quan*) with the transfer's
reference (`remit`), which claims every cash payment of the branch not yet handed over, once,
even when two supervisors press at the same moment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...models import Payment, Remittance, User
from ..accounts.audit import record as audit
from ..accounts.roles import require
from ..clock import utcnow
from ..text import format_vnd
from .payments import PaymentError
from .states import PaymentState


def _branch_cash(branch: str) -> Any:
    """The cash payments a branch took at its desk and has not handed over (whoever filed
    their dossiers: cash taken at the center's counter is not the branch's)."""
    return (
        Payment.method == "cash",
        Payment.status == PaymentState.PAID,
        Payment.remittance_id.is_(None),
        Payment.branch_code == branch,
    )


def unremitted(session: Session, branch: str) -> tuple[int, int]:
    """How many cash payments, and how much, the branch holds for the agency."""
    count, total = session.execute(
        select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount_vnd), 0)).where(
            *_branch_cash(branch)
        )
    ).one()
    return int(count), int(total)


def remit(session: Session, branch: str, actor: User, reference: str) -> Remittance:
    """Record that the branch handed its cash over to the agency (a transfer whose bank
    reference is given): every cash payment not handed over yet is claimed by this remittance,
    in one UPDATE, so two supervisors pressing at once cannot claim one payment twice. In the
    audit log."""
    require(actor, "branch.supervise")
    if actor.branch_code != branch:
        raise PaymentError("Chỉ ghi nhận nộp tiền cho chi nhánh của mình.")
    reference = " ".join(reference.split())
    if not reference or len(reference) > 64:
        raise PaymentError("Ghi số chứng từ chuyển tiền (tối đa 64 ký tự).")
    row = Remittance(branch_code=branch, amount_vnd=0, payments=0, at=utcnow(),
                     recorded_by_id=actor.id, recorded_by_name=actor.full_name or actor.username,
                     reference=reference)  # fmt: skip
    session.add(row)
    session.flush()
    session.execute(update(Payment).where(*_branch_cash(branch)).values(remittance_id=row.id))
    count, total = session.execute(
        select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount_vnd), 0)).where(
            Payment.remittance_id == row.id
        )
    ).one()
    if not count:
        session.rollback()
        raise PaymentError("Chi nhánh không còn khoản tiền mặt nào chưa nộp.")
    row.payments, row.amount_vnd = int(count), int(total)
    detail = f"{format_vnd(row.amount_vnd)}, {row.payments} khoản, chứng từ {reference}"
    audit(session, actor, "cash.remit", branch=branch, detail=detail)
    session.commit()
    return row
