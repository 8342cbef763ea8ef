"""A bank branch's report (issue 11): its agents' work and its money, for a period.

- **Dossiers** the branch filed in the period (`Dossier.branch_code`, `received_at`), counted
  per procedure, per local day and per agent (`agent_id`).
- **Fees collected**: payments `paid` in the period: cash taken at the branch's desk
  (`Payment.branch_code`, whoever filed the dossier) and VietQR transfers for the branch's
  dossiers (straight to the agency's account). A refunded payment is not collected.
- **Cash remitted**: what the branch handed over to the agency in the period (`Remittance`);
  **cash held**: what it holds now and has not handed over (`remittances.unremitted`).

A branch files hundreds of dossiers a month, not thousands: the rows are read once and counted
here, with no per-row query.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ...models import Dossier, Payment, Remittance, User
from ..clock import VIETNAM, local_day
from ..money.remittances import unremitted
from ..money.states import PaymentState
from . import Period


@dataclass(frozen=True)
class AgentRow:
    name: str
    dossiers: int
    cash_payments: int
    cash_vnd: int


@dataclass(frozen=True)
class DayMoney:
    day: dt.date
    cash_vnd: int
    transfer_vnd: int


@dataclass(frozen=True)
class BranchReport:
    period: Period
    dossiers: int
    by_procedure: list[tuple[str, str, int]]
    by_day: list[tuple[dt.date, int]]
    by_agent: list[AgentRow]
    money_by_day: list[DayMoney]
    cash_vnd: int
    transfer_vnd: int
    remitted_vnd: int
    held_vnd: int
    held_payments: int


def branch_report(
    session: Session, branch: str, period: Period, tz: dt.tzinfo = VIETNAM
) -> BranchReport:
    start, end = period.bounds(tz)
    filed = session.execute(
        select(Dossier.procedure_code, Dossier.procedure_name, Dossier.agent_id,
               Dossier.received_at)
        .where(Dossier.branch_code == branch, Dossier.received_at >= start,
               Dossier.received_at < end)
    ).all()  # fmt: skip
    names: dict[str, str] = {}
    per_proc: Counter[str] = Counter()
    per_day: Counter[dt.date] = Counter()
    per_agent: Counter[int | None] = Counter()
    for code, name, agent_id, received in filed:
        names[code] = name
        per_proc[code] += 1
        per_day[local_day(received, tz)] += 1
        per_agent[agent_id] += 1
    paid = session.execute(
        select(Payment.method, Payment.amount_vnd, Payment.paid_at, Payment.recorded_by_id)
        .join(Dossier, Dossier.id == Payment.dossier_id)
        .where(or_(and_(Payment.method == "cash", Payment.branch_code == branch),
                   and_(Payment.method != "cash", Dossier.branch_code == branch)),
               Payment.status == PaymentState.PAID, Payment.paid_at >= start, Payment.paid_at < end)
    ).all()  # fmt: skip
    cash_day: Counter[dt.date] = Counter()
    transfer_day: Counter[dt.date] = Counter()
    cash_by: Counter[int | None] = Counter()
    cash_count: Counter[int | None] = Counter()
    for method, amount, paid_at, recorder in paid:
        day = local_day(paid_at or start, tz)
        if method == "cash":
            cash_day[day] += amount
            cash_by[recorder] += amount
            cash_count[recorder] += 1
        else:
            transfer_day[day] += amount
    people = {
        u.id: u.full_name or u.username
        for u in session.scalars(
            select(User).where(User.id.in_((set(per_agent) | set(cash_by)) - {None}))
        )
    }
    agents = sorted(
        (
            AgentRow(
                people.get(a, "—") if a is not None else "—",
                per_agent[a],
                cash_count[a],
                cash_by[a],
            )  # fmt: skip
            for a in set(per_agent) | set(cash_by)
        ),
        key=lambda r: (-r.dossiers, r.name),
    )
    remitted = session.scalar(
        select(func.coalesce(func.sum(Remittance.amount_vnd), 0)).where(
            Remittance.branch_code == branch, Remittance.at >= start, Remittance.at < end
        )
    )
    held_payments, held = unremitted(session, branch)
    return BranchReport(
        period=period,
        dossiers=len(filed),
        by_procedure=sorted(
            ((c, names[c], n) for c, n in per_proc.items()), key=lambda r: (-r[2], r[0])
        ),  # fmt: skip
        by_day=[(d, per_day[d]) for d in period.days()],
        by_agent=agents,
        money_by_day=[DayMoney(d, cash_day[d], transfer_day[d]) for d in period.days()],
        cash_vnd=sum(cash_day.values()),
        transfer_vnd=sum(transfer_day.values()),
        remitted_vnd=int(remitted or 0),
        held_vnd=held,
        held_payments=held_payments,
    )


def recent_remittances(session: Session, branch: str, limit: int = 50) -> list[Remittance]:
    return list(
        session.scalars(
            select(Remittance).where(Remittance.branch_code == branch)
            .order_by(Remittance.at.desc()).limit(limit)
        )
    )  # fmt: skip
