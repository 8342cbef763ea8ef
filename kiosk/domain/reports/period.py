"""The period report (*báo cáo tình hình giải quyết hồ sơ*) in the structure provinces use,
for a unit and a period, counted in SQL from the dossier rows:

- **received**: `received_online` and `received_direct` (in person or by post) are dossiers
  whose `received_at` falls in the period; `carried_over` were received before it and were
  still in progress when it began (`closed_at` empty or not before its start);
- **resolved** in the period (`resolved_at` in it), against the legal due time `due_at`
  (`workdays.classify_resolved`): `resolved_late` after it, `resolved_on_time` on its day and
  by its time, `resolved_early` on an earlier day. An apology (form 04) gives the citizen a new
  date but does not make a late dossier on time;
- **in progress** at the period's end (or now, for a period not over): received before then
  and not closed by then; `in_progress_overdue` when its due time has passed, otherwise
  `in_progress_on_time` (a dossier not yet accepted, with no due time, is within its time).
  A paused dossier (waiting for a supplement or a payment) counts here too: its due time moves
  when its clock starts again;
- `closed_other`: refused, withdrawn or stopped in the period, so that the books balance:
  `received_online + received_direct + carried_over == resolved_* + closed_other +
  in_progress_*` (a test holds the report to it).

The local day of a time is computed in SQL from the site's UTC offset at the period's start
(Vietnam has kept +07:00 since 1975; a zone with summer time would need rows' own offsets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Integer, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ...models import Dossier
from ..clock import VIETNAM, utcnow
from . import Period

FIELDS = (
    "received_online", "received_direct", "carried_over", "resolved_early", "resolved_on_time",
    "resolved_late", "in_progress_on_time", "in_progress_overdue", "closed_other",
)  # fmt: skip


@dataclass(frozen=True)
class Counts:
    received_online: int = 0
    received_direct: int = 0
    carried_over: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress_on_time: int = 0
    in_progress_overdue: int = 0
    closed_other: int = 0

    @property
    def received(self) -> int:
        return self.received_online + self.received_direct

    @property
    def handled(self) -> int:
        """Received in the period plus carried over (*tổng số hồ sơ xử lý*)."""
        return self.received + self.carried_over

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def in_progress(self) -> int:
        return self.in_progress_on_time + self.in_progress_overdue

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def local_date(session: Session, column: Any, offset: dt.timedelta) -> ColumnElement[Any]:
    """The local calendar day of a stored UTC time, in SQL (SQLite or PostgreSQL)."""
    hours = int(offset.total_seconds() // 3600)
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"{hours:+d} hours")
    return func.date(column + literal(offset))


def count_if(condition: ColumnElement[bool]) -> Any:
    """How many rows meet `condition`, as an SQL aggregate (0, not NULL, for none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def is_site(unit: str, site_code: str) -> bool:
    """Whether `unit` names a site (this one, or another of the province at the hub): an
    agency's code (Circular 01/2018, `000.00.01.H29`) is dotted, a department's or a commune's
    code never is."""
    return unit == site_code or "." in unit


def unit_filter(unit: str, site_code: str) -> ColumnElement[bool] | None:
    """The dossiers of `unit`: every one for an empty unit (the center, or at the province's
    hub the whole province), a site's own for a site's code (at a site by itself, every one),
    a department's or a commune's otherwise (at the hub, of every site)."""
    if not unit:
        return None
    if is_site(unit, site_code):
        return Dossier.site_code == unit
    return Dossier.unit == unit


def count_columns(
    session: Session, period: Period, tz: dt.tzinfo, now: dt.datetime | None = None
) -> list[Any]:
    """The report's counts as SQL aggregate columns, in FIELDS' order, over the rows selected
    by the caller (a unit, or grouped by unit or counter)."""
    start, end = period.bounds(tz)
    at = min(end, now or utcnow())  # in progress at the period's end, or now
    offset = tz.utcoffset(dt.datetime.combine(period.start, dt.time())) or dt.timedelta()
    d = Dossier
    received_in = and_(d.received_at >= start, d.received_at < end)
    resolved_in = and_(d.resolved_at.is_not(None), d.resolved_at >= start, d.resolved_at < end)
    not_late = or_(d.due_at.is_(None), d.resolved_at <= d.due_at)
    same_day = local_date(session, d.resolved_at, offset) == local_date(session, d.due_at, offset)
    open_at = and_(d.received_at < at, or_(d.closed_at.is_(None), d.closed_at >= at))
    return [
        count_if(and_(received_in, d.channel == "online")),
        count_if(and_(received_in, d.channel != "online")),
        count_if(and_(d.received_at < start, or_(d.closed_at.is_(None), d.closed_at >= start))),
        count_if(and_(resolved_in, d.due_at.is_not(None), not_late, ~same_day)),
        count_if(and_(resolved_in, not_late, or_(d.due_at.is_(None), same_day))),
        count_if(and_(resolved_in, ~not_late)),
        count_if(and_(open_at, or_(d.due_at.is_(None), d.due_at >= at))),
        count_if(and_(open_at, d.due_at < at)),
        count_if(and_(d.resolved_at.is_(None), d.closed_at >= start, d.closed_at < end)),
    ]


def relevant(period: Period, tz: dt.tzinfo) -> ColumnElement[bool]:
    """Dossiers the period's report can count: received before its end and not closed before
    its start (uses the `closed_at` indexes)."""
    start, end = period.bounds(tz)
    return and_(
        Dossier.received_at < end, or_(Dossier.closed_at.is_(None), Dossier.closed_at >= start)
    )


def period_report(
    session: Session, period: Period, *, unit: str = "", site_code: str = "",
    tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None,
) -> Counts:  # fmt: skip
    """The report for one unit (or the whole center) and period."""
    q = select(*count_columns(session, period, tz, now)).where(relevant(period, tz))
    scope = unit_filter(unit, site_code)
    if scope is not None:
        q = q.where(scope)
    return Counts(*session.execute(q).one())


def by_unit(
    session: Session, period: Period, *, tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None
) -> dict[str, Counts]:
    """The report for every unit at once (one grouped query)."""
    q = (
        select(Dossier.unit, *count_columns(session, period, tz, now))
        .where(relevant(period, tz))
        .group_by(Dossier.unit)
    )
    return {row[0]: Counts(*row[1:]) for row in session.execute(q)}


def by_site(
    session: Session, period: Period, *, tz: dt.tzinfo = VIETNAM, now: dt.datetime | None = None
) -> dict[str, Counts]:
    """The report of every site whose dossiers this database holds (at the hub: each site of
    the province), one grouped query; their sum is the whole's."""
    q = (
        select(Dossier.site_code, *count_columns(session, period, tz, now))
        .where(relevant(period, tz))
        .group_by(Dossier.site_code)
    )
    return {row[0]: Counts(*row[1:]) for row in session.execute(q)}
