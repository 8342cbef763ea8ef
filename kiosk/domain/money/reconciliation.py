"""The daily reconciliation (*đối soát*) per collecting account: the payments expected (their
codes made that day), received (paid that day), and the banks' notifications of that day
flagged for a person, with those that matched no payment on a line of their own.

A day is the site's local day, bounded as every report's is (`reports.Period.bounds`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import BankAccount, Payment, PaymentNotice
from ..reports import Period
from .states import PaymentState


@dataclass
class Line:
    """One account's day (`account` None: the notifications that matched no payment)."""

    account: BankAccount | None
    expected: int = 0
    expected_vnd: int = 0
    received: int = 0
    received_vnd: int = 0
    flagged: list[PaymentNotice] = field(default_factory=list)


def daily(session: Session, day: dt.date, tz: dt.tzinfo) -> list[Line]:
    """Per account: payments expected (made that day), received (paid that day), and the
    bank's notifications that day left unmatched or flagged for a person; last, the
    notifications that matched no payment."""
    start, end = Period(day, day).bounds(tz)
    out = []
    accounts = session.scalars(select(BankAccount).order_by(BankAccount.id)).all()
    notices = session.scalars(
        select(PaymentNotice).where(
            PaymentNotice.received_at >= start, PaymentNotice.received_at < end,
            PaymentNotice.outcome.like("flagged%"),
        )
    ).all()  # fmt: skip
    by_payment = {p.id: p for p in session.scalars(
        select(Payment).where(Payment.id.in_([n.payment_id for n in notices if n.payment_id]))
    )}  # fmt: skip
    for acc in accounts:
        made = session.scalars(select(Payment).where(
            Payment.account_id == acc.id, Payment.created_at >= start, Payment.created_at < end,
        )).all()  # fmt: skip
        got = session.scalars(select(Payment).where(
            Payment.account_id == acc.id, Payment.paid_at >= start, Payment.paid_at < end,
            Payment.status == PaymentState.PAID,
        )).all()  # fmt: skip
        flagged = [n for n in notices if n.payment_id and by_payment.get(n.payment_id)
                   and by_payment[n.payment_id].account_id == acc.id]  # fmt: skip
        out.append(Line(
            acc, expected=len(made), expected_vnd=sum(p.amount_vnd for p in made),
            received=len(got), received_vnd=sum(p.amount_vnd for p in got), flagged=flagged,
        ))  # fmt: skip
    out.append(Line(None, flagged=[n for n in notices if not n.payment_id]))
    return out
