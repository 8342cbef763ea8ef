"""The service index (*Bộ chỉ số phục vụ người dân, doanh nghiệp*, Decision 766/QĐ-TTg) for a
unit and a period, computed from this system's own records, in the portal's five groups and
their maxima. Each group's formula is written beside its code; where the national method is
public we follow it, where it is not (or needs data this system does not hold) the assumption
is stated. Every group also lists the dossiers that lost it points (`losses`).

The dossiers a period counts ("handled") are those received in it or carried into it, as in
the period report (`period.relevant`).

1. **Transparency** (*công khai, minh bạch*, CKMB, 18). The national group also scores the
   publication of procedures and the sync of statuses to the national portal; here every
   procedure is published in the catalog and every status is on the citizen's status page, so
   what the records can still lose is a citizen left uninformed: a dossier late (resolved
   late, or overdue at the period's end) without an apology and a new date (form 04).
   `18 × (handled − late without apology) / handled`.
2. **Progress** (*tiến độ giải quyết*, TDGQ, 20), the method open-source one-stop systems use:
   `20 × (resolved early or on time + in progress within time) /
   (resolved + in progress)`.
3. **Online service** (22 = 12 + 10):
   - online dossiers (CLGQ, 12): `12 × dossiers filed online / dossiers received, among
     procedures that offer online filing` (a procedure with no online channel does not count);
   - online payment (TTTT, 10): `10 × dossiers whose fee was paid by VietQR transfer / dossiers
     received whose fee was paid`; a free procedure does not count.
4. **Satisfaction** (*mức độ hài lòng*, MDHL, 18). The portal's survey is not public in
   detail; here: `18 × ratings "satisfied" or "very satisfied" (4-5) / ratings given in the
   period`, the dossiers' ratings for a unit, and also the counter visits' for the center or a
   counter. No rating at all scores 0: nobody was asked.
5. **Digitization** (*số hóa hồ sơ*, MDSH, 22), the open-source systems' method: `22 ×
   (accepted dossiers received in the period with their papers digitized or reused + dossiers
   resolved in the period with an electronic result) / (accepted dossiers received + dossiers
   resolved)`.

A group with nothing to count (no dossier, no fee paid) scores its maximum, and says so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ...models import Channel, Dossier, Procedure, Rating, Ticket
from ..clock import VIETNAM, utcnow
from ..text import N_
from . import Period
from .period import count_if, relevant, unit_filter

GROUPS = ("transparency", "progress", "online_dossiers", "online_payment", "satisfaction",
          "digitization")  # fmt: skip
MAXIMA = {"transparency": 18, "progress": 20, "online_dossiers": 12, "online_payment": 10,
          "satisfaction": 18, "digitization": 22}  # fmt: skip
NAMES = {
    "transparency": N_("Công khai, minh bạch"),
    "progress": N_("Tiến độ giải quyết"),
    "online_dossiers": N_("Dịch vụ trực tuyến: hồ sơ trực tuyến"),
    "online_payment": N_("Dịch vụ trực tuyến: thanh toán trực tuyến"),
    "satisfaction": N_("Mức độ hài lòng"),
    "digitization": N_("Số hóa hồ sơ"),
}
FORMULAS = {
    "transparency": N_("18 × (hồ sơ xử lý − hồ sơ trễ hạn không có phiếu xin lỗi) / hồ sơ xử lý"),
    "progress": N_(
        "20 × (giải quyết trước hạn, đúng hạn + đang giải quyết còn hạn) / "
        "(đã giải quyết + đang giải quyết)"
    ),
    "online_dossiers": N_(
        "12 × hồ sơ nộp trực tuyến / hồ sơ tiếp nhận của thủ tục có dịch vụ trực tuyến"
    ),
    "online_payment": N_("10 × hồ sơ nộp phí bằng chuyển khoản VietQR / hồ sơ đã nộp phí"),
    "satisfaction": N_("18 × đánh giá hài lòng, rất hài lòng / số đánh giá"),
    "digitization": N_(
        "22 × (hồ sơ tiếp nhận có giấy tờ số hóa + hồ sơ giải quyết có kết quả "
        "điện tử) / (hồ sơ tiếp nhận + hồ sơ giải quyết)"
    ),
}
#: Why a dossier lost its group points, for the drill-down.
WHY = {
    "transparency": N_("Trễ hạn mà không có phiếu xin lỗi, hẹn lại"),
    "progress": N_("Giải quyết trễ hạn hoặc đang quá hạn"),
    "online_dossiers": N_("Thủ tục có dịch vụ trực tuyến nhưng nộp trực tiếp"),
    "online_payment": N_("Nộp phí bằng tiền mặt"),
    "satisfaction": N_("Công dân đánh giá chưa hài lòng (1-3)"),
    "digitization": N_("Giấy tờ hoặc kết quả chưa được số hóa"),
}


@dataclass(frozen=True)
class Group:
    key: str
    points: float
    maximum: int
    numerator: int
    denominator: int

    @property
    def lost(self) -> float:
        return round(self.maximum - self.points, 2)


@dataclass(frozen=True)
class Index:
    groups: dict[str, Group] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(g.points for g in self.groups.values()), 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "maximum": 100,
            "groups": [
                {"key": g.key, "name": NAMES[g.key], "points": g.points, "maximum": g.maximum,
                 "numerator": g.numerator, "denominator": g.denominator,
                 "formula": FORMULAS[g.key]}
                for g in self.groups.values()
            ],
        }  # fmt: skip


def _score(key: str, good: int, total: int, *, empty_full: bool = True) -> Group:
    if total <= 0:
        return Group(key, float(MAXIMA[key]) if empty_full else 0.0, MAXIMA[key], good, total)
    return Group(key, round(MAXIMA[key] * good / total, 2), MAXIMA[key], good, total)


class _Facts:
    """The per-dossier facts the groups count, as SQL conditions on `Dossier`'s own columns
    (digitized papers and result, the way the fee was paid are kept on the dossier by
    `uploads.attach` and `payments`, so no subquery runs per dossier)."""

    def __init__(self, period: Period, tz: dt.tzinfo, now: dt.datetime | None) -> None:
        d = Dossier
        self.start, self.end = period.bounds(tz)
        self.at = min(self.end, now or utcnow())
        self.received = and_(d.received_at >= self.start, d.received_at < self.end)
        self.accepted = and_(self.received, d.status.not_in(("registered", "refused")))
        self.resolved = and_(d.resolved_at.is_not(None), d.resolved_at >= self.start,
                             d.resolved_at < self.end)  # fmt: skip
        self.resolved_late = and_(self.resolved, d.due_at.is_not(None), d.resolved_at > d.due_at)
        self.open_at = and_(d.received_at < self.at,
                            or_(d.closed_at.is_(None), d.closed_at >= self.at))  # fmt: skip
        self.overdue = and_(self.open_at, d.due_at < self.at)
        self.late = or_(self.resolved_late, self.overdue)
        self.no_apology = d.promised_at.is_(None)
        online_procs = (
            select(Procedure.code).join(Channel, Channel.procedure_id == Procedure.id)
            .where(Channel.kind == "truc_tuyen")
        )  # fmt: skip
        self.online_offered = d.procedure_code.in_(online_procs)
        self.papers = d.papers_digitized.is_(True)
        self.result = d.result_digitized.is_(True)
        self.paid = d.fee_paid_by != ""
        self.paid_transfer = d.fee_paid_by == "transfer"

    def columns(self) -> list[Any]:
        return [
            func.count(Dossier.id),
            count_if(and_(self.late, self.no_apology)),
            count_if(self.resolved), count_if(self.resolved_late), count_if(self.open_at),
            count_if(self.overdue),
            count_if(and_(self.received, self.online_offered)),
            count_if(and_(self.received, self.online_offered, Dossier.channel == "online")),
            count_if(and_(self.received, self.paid)),
            count_if(and_(self.received, self.paid_transfer)),
            count_if(self.accepted), count_if(and_(self.accepted, self.papers)),
            count_if(and_(self.resolved, self.result)),
        ]  # fmt: skip


def _index(row: Any, ratings: tuple[int, int]) -> Index:
    (handled, late_silent, resolved, resolved_late, in_progress, overdue, offered, online,
     paid, transfer, accepted, digitized, results) = row  # fmt: skip
    rated, happy = ratings
    groups = [
        _score("transparency", handled - late_silent, handled),
        _score("progress", resolved + in_progress - resolved_late - overdue,
               resolved + in_progress),
        _score("online_dossiers", online, offered),
        _score("online_payment", transfer, paid),
        _score("satisfaction", happy, rated, empty_full=False),
        _score("digitization", digitized + results, accepted + resolved),
    ]  # fmt: skip
    return Index({g.key: g for g in groups})


def _rating_counts(session: Session, f: _Facts, scope: ColumnElement[bool] | None,
                   visits: bool) -> tuple[int, int]:  # fmt: skip
    in_period = and_(Rating.at >= f.start, Rating.at < f.end)
    q = select(func.count(Rating.id), count_if(Rating.score >= 4)).join(
        Dossier, Dossier.id == Rating.dossier_id).where(in_period)  # fmt: skip
    if scope is not None:
        q = q.where(scope)
    rated, happy = session.execute(q).one()
    if visits:
        v_rated, v_happy = session.execute(
            select(func.count(Rating.id), count_if(Rating.score >= 4))
            .where(in_period, Rating.ticket_id.is_not(None))
        ).one()  # fmt: skip
        rated, happy = rated + v_rated, happy + v_happy
    return int(rated), int(happy)


def service_index(
    session: Session, period: Period, *, unit: str = "", site_code: str = "",
    tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None,
) -> Index:  # fmt: skip
    """The index of one unit (or the whole center: with the counters' visit ratings)."""
    f = _Facts(period, tz, now)
    scope = unit_filter(unit, site_code)
    q = select(*f.columns()).where(relevant(period, tz))
    if scope is not None:
        q = q.where(scope)
    row = session.execute(q).one()
    return _index(row, _rating_counts(session, f, scope, visits=scope is None))


def losses(
    session: Session, group: str, period: Period, *, unit: str = "", site_code: str = "",
    tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None, limit: int = 200,
    counter: int | None = None,
) -> list[Dossier]:  # fmt: skip
    """The dossiers that lost `group` its points, oldest first (at most `limit`), of a unit or
    of the dossiers a counter received."""
    f = _Facts(period, tz, now)
    conditions: dict[str, ColumnElement[bool]] = {
        "transparency": and_(f.late, f.no_apology),
        "progress": f.late,
        "online_dossiers": and_(f.received, f.online_offered, Dossier.channel != "online"),
        "online_payment": and_(f.received, f.paid, ~f.paid_transfer),
        "satisfaction": Dossier.id.in_(
            select(Rating.dossier_id).where(
                Rating.at >= f.start, Rating.at < f.end, Rating.score <= 3
            )
        ),  # fmt: skip
        "digitization": or_(and_(f.accepted, ~f.papers), and_(f.resolved, ~f.result)),
    }
    if group not in conditions:
        raise KeyError(group)
    q = select(Dossier).where(conditions[group])
    if group != "satisfaction":  # a rating counts when given, whenever the dossier was handled
        q = q.where(relevant(period, tz))
    scope = unit_filter(unit, site_code)
    if scope is not None:
        q = q.where(scope)
    if counter is not None:
        q = q.join(Ticket, Ticket.id == Dossier.ticket_id).where(Ticket.counter_id == counter)
    return list(session.scalars(q.order_by(Dossier.received_at).limit(limit)))


@dataclass(frozen=True)
class Overview:
    """The period report and the index of the whole center, of every unit and of every counter,
    from one pass over the period's dossiers grouped by unit and counter (the dashboard's
    query): every count and every group's numerator and denominator adds up, so the center's,
    a unit's and a counter's numbers are sums of the pass's rows."""

    counts: Any  # period.Counts of the center
    index: Index
    unit_counts: dict[str, Any]
    unit_index: dict[str, Index]
    counter_index: dict[int, Index]


def _add(rows: list[Any]) -> list[int]:
    return [sum(int(r[i]) for r in rows) for i in range(len(rows[0]))] if rows else []


def overview(
    session: Session, period: Period, *, tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None
) -> Overview:
    from .period import Counts, count_columns

    f = _Facts(period, tz, now)
    periods = count_columns(session, period, tz, now)
    n, width = len(periods), len(periods) + len(f.columns())
    rows = session.execute(
        select(Dossier.unit, Ticket.counter_id, *periods, *f.columns())
        .outerjoin(Ticket, Ticket.id == Dossier.ticket_id).where(relevant(period, tz))
        .group_by(Dossier.unit, Ticket.counter_id)
    ).all()  # fmt: skip
    in_period = and_(Rating.at >= f.start, Rating.at < f.end)
    rated = session.execute(
        select(Dossier.unit, Ticket.counter_id, func.count(Rating.id), count_if(Rating.score >= 4))
        .join(Dossier, Dossier.id == Rating.dossier_id)
        .outerjoin(Ticket, Ticket.id == Dossier.ticket_id).where(in_period)
        .group_by(Dossier.unit, Ticket.counter_id)
    ).all()  # fmt: skip
    visits = session.execute(
        select(Ticket.counter_id, func.count(Rating.id), count_if(Rating.score >= 4))
        .join(Ticket, Ticket.id == Rating.ticket_id).where(in_period).group_by(Ticket.counter_id)
    ).all()  # fmt: skip
    by_unit: dict[str, list[Any]] = defaultdict(list)
    by_counter: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_unit[r[0]].append(r[2:])
        if r[1] is not None:
            by_counter[r[1]].append(r[2:])
    unit_rated: dict[str, list[Any]] = defaultdict(list)
    counter_rated: dict[int, list[Any]] = defaultdict(list)
    for r in rated:
        unit_rated[r[0]].append(r[2:])
        if r[1] is not None:
            counter_rated[r[1]].append(r[2:])
    for r in visits:
        counter_rated[r[0]].append(r[1:])

    def pair(parts: list[Any]) -> tuple[int, int]:
        got = _add(parts)
        return (got[0], got[1]) if got else (0, 0)

    unit_counts, unit_index = {}, {}
    for u, parts in by_unit.items():
        total = _add(parts)
        unit_counts[u] = Counts(*total[:n])
        unit_index[u] = _index(total[n:], pair(unit_rated[u]))
    counter_index = {
        c: _index(_add(parts)[n:], pair(counter_rated[c])) for c, parts in by_counter.items()
    }
    everything = _add([r[2:] for r in rows]) or [0] * width
    all_rated = pair([r[2:] for r in rated] + [r[1:] for r in visits])
    return Overview(Counts(*everything[:n]), _index(everything[n:], all_rated), unit_counts,
                    unit_index, counter_index)  # fmt: skip
