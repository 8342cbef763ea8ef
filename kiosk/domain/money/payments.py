"""Fees and their payment: a VietQR code any banking app pays, and a payment record nobody can
fake.

- **A payment** is what a dossier owes (`Dossier.fee_vnd`, from the catalog by channel, with
  the online discount where the catalog has one), to the collecting agency's bank account, under
  a unique reference carried as the VietQR bill number (tag 62.01), so that a transfer can be
  matched to it. States: `pending`, `paid`, `expired`, `refunded`.
- **It becomes paid in two ways only**: the bank's signed notification
  (`notifications.notify`: HMAC-SHA256 with that bank's secret over `<timestamp>.<raw body>`,
  compared in constant time, within 5 minutes of now), or cash recorded by an officer or agent
  (`record_cash`, in the audit log). The kiosk shows the code and waits; it never marks
  anything paid.
- **Cash taken by a bank branch** is the agency's money held by the bank until a supervisor
  records its hand-over (`remittances`).
- **A transfer that does not match** (unknown reference, another amount, a payment refunded)
  is kept and flagged for a person; it marks nothing paid. A `bank_txn_id` already seen from
  that bank changes nothing (a bank's id is its own: two banks' can coincide, and at the
  province's hub two sites', so the database holds it once per site and bank). Every signed
  notification, accepted or refused, is kept with its outcome and reason (`PaymentNotice`);
  unsigned ones are kept in a bounded log (`notifications`).
- **A fee is settled under the dossier's lock** (`_hold`: SELECT ... FOR UPDATE on
  PostgreSQL, the write lock taken first on SQLite), so what is owed is read and the payment
  written in one transaction that no other settlement interleaves: cash at a desk racing the
  bank's notification, or an expired code and its replacement both paid, settle the fee once.
  Money that arrives when nothing is owed is kept and flagged for refund (`flagged_refund`, on
  the daily reconciliation), never counted as a second fee.
- **Visibility**: cash and refunds act only on a dossier the actor may see
  (`dossiers.visible`, an agent's own branch's); cash taken at a branch's desk is that
  branch's (`Payment.branch_code`) until it is handed over.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import BankAccount, Dossier, Payment, PrintJob, User
from .. import outbox
from ..accounts.audit import record as audit
from ..accounts.roles import require
from ..clock import utcnow
from ..dossiers.reading import visible
from ..text import format_vnd
from . import vietqr
from .states import PaymentState

BANKS_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "banks.json"
#: A pending payment's code is offered this long; a new one is made after.
VALID_FOR = dt.timedelta(hours=24)
STATES = tuple(PaymentState)
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class PaymentError(ValueError):
    """A request about payments that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Bank:
    bin: str
    code: str
    short_name: str
    name: str


@functools.cache
def banks() -> dict[str, Bank]:
    """Vietnamese banks by BIN (kiosk/data/banks.json, from the vietnam-qr-pay package)."""
    data = json.loads(BANKS_FILE.read_text(encoding="utf-8"))
    return {b["bin"]: Bank(b["bin"], b["code"], b["short_name"], b["name"]) for b in data["banks"]}


# ---------------------------------------------------------------- accounts and partners


def add_account(
    session: Session, *, agency: str, bank_bin: str, number: str, holder: str,
    card: bool = False, actor: User | None = None,
) -> BankAccount:  # fmt: skip
    """A collecting agency's account; the BIN must be a Vietnamese bank's, and the number and
    holder must make a valid VietQR code."""
    require(actor, "accounts.manage")
    bank = banks().get(bank_bin.strip())
    if bank is None:
        raise PaymentError("Mã BIN không thuộc ngân hàng nào trong danh sách NAPAS.")
    number = number.replace(" ", "")
    holder = " ".join(vietqr.fold_ascii(holder).upper().split())
    if not holder or len(holder) > 50:
        raise PaymentError("Tên chủ tài khoản từ 1 đến 50 ký tự.")
    agency = agency.strip()
    if not agency or len(agency) > 64:
        raise PaymentError("Cần mã cơ quan thu (tối đa 64 ký tự).")
    service = vietqr.TO_CARD if card else vietqr.TO_ACCOUNT
    try:
        vietqr.build(vietqr.VietQR(bank.bin, number, service))
    except vietqr.VietQRError as exc:
        raise PaymentError(str(exc)) from exc
    session.execute(update(BankAccount).where(BankAccount.agency == agency).values(active=False))
    account = BankAccount(
        agency=agency, bank_bin=bank.bin, bank_name=bank.short_name, number=number,
        holder=holder, service=service, active=True, created_at=utcnow(),
    )  # fmt: skip
    session.add(account)
    audit(session, actor, "account.add", detail=f"{bank.short_name} {number} ({agency})")
    session.commit()
    return account


def account_for(session: Session, agency: str) -> BankAccount | None:
    """The agency's active account, else the first active one of any agency."""
    found = session.scalar(
        select(BankAccount).where(BankAccount.agency == agency, BankAccount.active)
    )
    return found or session.scalar(
        select(BankAccount).where(BankAccount.active).order_by(BankAccount.id)
    )


def payee(session: Session, payment: Payment) -> BankAccount | None:
    """The account a payment's code pays into (shown beside the code and printed on the slip),
    None when it was removed."""
    return session.get(BankAccount, payment.account_id) if payment.account_id else None


# ---------------------------------------------------------------- payments


def _hold(session: Session, dossier_id: str) -> None:
    """Take the dossier's lock until the transaction ends, before anything about its fee is
    read: every settlement (cash, a bank's notification, a new code, a refund) takes it first,
    so they follow one another. PostgreSQL: SELECT ... FOR UPDATE of its row. SQLite: an
    UPDATE of its row as the transaction's first write takes the database's write lock (the
    reads before it were outside any transaction), and the reads after see the last commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Dossier.id).where(Dossier.id == dossier_id).with_for_update())
    else:
        session.execute(
            update(Dossier).where(Dossier.id == dossier_id).values(fee_paid_by=Dossier.fee_paid_by)
        )


def _settle(session: Session, dossier_id: str) -> None:
    """Keep `Dossier.fee_paid_by` (for the service index): `transfer` when a paid payment came
    by VietQR, else `cash` when one was cash, else empty; in the caller's transaction."""
    session.flush()
    methods = set(session.scalars(
        select(Payment.method)
        .where(Payment.dossier_id == dossier_id, Payment.status == PaymentState.PAID)
    ))  # fmt: skip
    way = "transfer" if "transfer" in methods else "cash" if "cash" in methods else ""
    session.execute(update(Dossier).where(Dossier.id == dossier_id).values(fee_paid_by=way))


def _reference() -> str:
    return "HS" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(10))


def paid_amount(session: Session, dossier: Dossier) -> int:
    rows = session.scalars(
        select(Payment.amount_vnd).where(
            Payment.dossier_id == dossier.id, Payment.status == PaymentState.PAID
        )
    )
    return sum(rows)


def due_amount(session: Session, dossier: Dossier) -> int:
    """What the dossier still owes."""
    return max(0, dossier.fee_vnd - paid_amount(session, dossier))


def open_payment(
    session: Session, dossier: Dossier, *, now: dt.datetime | None = None, purpose: str = ""
) -> Payment | None:
    """The dossier's pending payment, made (or made anew once expired) when it owes a fee;
    None when nothing is owed. PaymentError when no account collects for its agency. A new
    code is made under the dossier's lock (`_hold`)."""
    now = now or utcnow()
    current = _current(session, dossier)
    owed = due_amount(session, dossier)
    if owed == 0:
        return None
    if current is not None and current.expires_at > now and current.amount_vnd == owed:
        return current
    account = account_for(session, dossier.unit or dossier.site_code)
    if account is None:
        session.rollback()
        raise PaymentError("Cơ quan chưa khai báo tài khoản nhận phí; vui lòng nộp tại quầy.")
    for _ in range(5):
        _hold(session, dossier.id)
        owed = due_amount(session, dossier)
        current = _current(session, dossier)
        if owed == 0 or (
            current is not None and current.expires_at > now and current.amount_vnd == owed
        ):  # settled or made meanwhile
            session.commit()
            return current if owed else None
        if current is not None:
            current.status = PaymentState.EXPIRED
        reference = _reference()
        text = purpose or f"{reference} {dossier.code[-11:]}"
        payload = vietqr.build(
            vietqr.VietQR(account.bank_bin, account.number, account.service, owed, reference,
                          text[: vietqr.MAX_PURPOSE])
        )  # fmt: skip
        payment = Payment(
            reference=reference, dossier_id=dossier.id, account_id=account.id,
            amount_vnd=owed, status=PaymentState.PENDING, method="transfer", payload=payload,
            created_at=now, expires_at=now + VALID_FOR,
        )  # fmt: skip
        session.add(payment)
        try:
            session.commit()
        except IntegrityError:  # the same reference drawn twice: draw again
            session.rollback()
            continue
        return payment
    raise PaymentError("Không tạo được mã thanh toán, vui lòng thử lại.")


@dataclass(frozen=True)
class FeeState:
    """A dossier's fee as its pages show it: what it still owes, its pending payment (the
    newest, if any), and every payment no longer pending (paid, expired, refunded), oldest
    first."""

    owed: int
    pending: Payment | None
    settled: list[Payment]

    @property
    def last_paid(self) -> Payment | None:
        """The paid payment that settled it last, if any."""
        paid = [p for p in self.settled if p.status == PaymentState.PAID and p.paid_at is not None]
        return max(paid, key=lambda p: p.paid_at or p.created_at) if paid else None


def fee_state(session: Session, dossier: Dossier) -> FeeState:
    """The one read of a dossier's payments for every surface (the office, the agents' portal,
    the API): nothing is made, nothing is locked."""
    rows = list(
        session.scalars(
            select(Payment).where(Payment.dossier_id == dossier.id).order_by(Payment.created_at)
        )
    )
    pending = [p for p in rows if p.status == PaymentState.PENDING]
    return FeeState(
        owed=due_amount(session, dossier),
        pending=pending[-1] if pending else None,
        settled=[p for p in rows if p.status != PaymentState.PENDING],
    )


def _current(session: Session, dossier: Dossier) -> Payment | None:
    """The dossier's newest pending payment, read afresh."""
    return session.scalar(
        select(Payment)
        .where(Payment.dossier_id == dossier.id, Payment.status == PaymentState.PENDING)
        .order_by(Payment.created_at.desc())
        .execution_options(populate_existing=True)
    )


def find(session: Session, reference: str) -> Payment | None:
    reference = (reference or "").strip().upper()
    if not reference.isalnum() or len(reference) > 25:
        return None
    return session.scalar(select(Payment).where(Payment.reference == reference))


def record_cash(
    session: Session, dossier: Dossier, actor: User, amount: int, *,
    now: dt.datetime | None = None, then: Callable[[Payment], object] | None = None,
) -> Payment:  # fmt: skip
    """Cash received at a counter or an agent's desk, for exactly what the dossier owes, read
    under the dossier's lock; it goes into the audit log, and cash taken at a bank branch's
    desk is that branch's to hand over. Only for a dossier the actor may see (an agent: their
    branch's). `then` adds what goes with it (the receipt's print job) in the same
    transaction."""
    require(actor, "payment.cash")
    if visible(session, actor, dossier.code) is None:
        raise PaymentError("Không tìm thấy hồ sơ.")
    now = now or utcnow()
    try:
        _hold(session, dossier.id)
        owed = due_amount(session, dossier)
        if owed == 0:
            raise PaymentError("Hồ sơ này không còn khoản phí nào phải nộp.")
        if isinstance(amount, bool) or amount != owed:
            raise PaymentError(f"Số tiền mặt phải đúng bằng số phải nộp: {format_vnd(owed)}.")
        session.execute(
            update(Payment)
            .where(Payment.dossier_id == dossier.id, Payment.status == PaymentState.PENDING)
            .values(status=PaymentState.EXPIRED)
        )
        payment = Payment(
            reference=_reference(), dossier_id=dossier.id, account_id=None, amount_vnd=owed,
            status=PaymentState.PAID, method="cash", payload="", created_at=now, expires_at=now,
            paid_at=now, recorded_by_id=actor.id, branch_code=actor.branch_code or None,
        )  # fmt: skip
        session.add(payment)
        audit(session, actor, "payment.cash", dossier=dossier.code,
              detail=f"{format_vnd(owed)}, phiếu {payment.reference}")  # fmt: skip
        _settle(session, dossier.id)
        outbox.payment(session, "payment.paid", payment)
        if then is not None:
            then(payment)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return payment


def cash_receipt_job(
    session: Session, payment: Payment, dossier: Dossier, printer: Any, *, site_name: str,
    place: str, collector: str, status_url: str, tz: dt.tzinfo,
) -> PrintJob:  # fmt: skip
    """The cash receipt's print job (printers' `cash` layout), added to the session for the
    caller to commit."""
    from printers.printouts import CashData

    from ..clock import wall_clock
    from ..printing.jobs import printout_job

    data = CashData(
        site_name=site_name,
        place=place,
        reference=payment.reference,
        dossier_code=dossier.code,
        procedure=dossier.procedure_name,
        payer=dossier.applicant_name,
        amount_vnd=payment.amount_vnd,
        collector=collector,
        paid_at=wall_clock(payment.paid_at or utcnow(), tz),
        status_url=status_url,
        fee_reason=dossier.fee_reason or "",
    )
    job = printout_job(printer, f"Biên nhận {payment.reference}", data)
    session.add(job)
    return job


def refund(session: Session, payment: Payment, actor: User, reason: str) -> Payment:
    """Mark a paid payment refunded (the money went back to the payer), with the reason, in the
    audit log, under the dossier's lock; the dossier owes its fee again."""
    require(actor, "payments.read")
    reason = reason.strip()
    dossier = session.get(Dossier, payment.dossier_id)
    if dossier is None or visible(session, actor, dossier.code) is None:
        raise PaymentError("Không tìm thấy khoản thanh toán.")
    if not reason or len(reason) > 500:
        raise PaymentError("Ghi lý do hoàn tiền (tối đa 500 ký tự).")
    try:
        _hold(session, payment.dossier_id)
        session.refresh(payment)
        if payment.status != PaymentState.PAID:
            raise PaymentError("Chỉ hoàn khoản đã thanh toán.")
        payment.status = PaymentState.REFUNDED
        _settle(session, payment.dossier_id)
        outbox.payment(session, "payment.refunded", payment)
        audit(session, actor, "payment.refund", dossier=dossier.code,
              detail=f"{payment.reference} {format_vnd(payment.amount_vnd)}: {reason}")  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return payment


def fee_slip_job(
    session: Session, payment: Payment, dossier: Dossier, printer: Any, site_name: str,
    tz: dt.tzinfo,
) -> Any:  # fmt: skip
    """The fee slip's print job (printers' `fee` layout: the amount in figures and words and
    the same VietQR code), added to the session for the caller to commit."""
    from printers.printouts import FeeData

    from ..clock import wall_clock
    from ..printing.jobs import printout_job

    account = payee(session, payment)
    data = FeeData(
        site_name=site_name,
        dossier_code=dossier.code,
        procedure=dossier.procedure_name,
        payer=dossier.applicant_name,
        amount_vnd=payment.amount_vnd,
        vietqr_payload=payment.payload,
        bank_name=account.bank_name if account else "",
        account_number=account.number if account else "",
        account_name=account.holder if account else "",
        issued_at=wall_clock(utcnow(), tz),
    )
    job = printout_job(printer, f"Phí {dossier.code}", data)
    session.add(job)
    return job
