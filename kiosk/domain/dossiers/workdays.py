"""Working time: the one place that counts working days and office hours for the whole
application (dossier deadlines, pauses, early / on time / late).

The rules (Decree 118/2025/NĐ-CP):
- offices work 7:00-11:30 and 13:30-17:00 (`OfficeHours`), Monday to Friday;
- public holidays, Tết and the days the government swaps are days off; a Saturday the
  government makes a working day (to give a bridge day off) is worked. Both come from a
  `Calendar`, which the application keeps as data a manager can edit, seeded from the
  `holidays` package (`seed`);
- a processing time of N working days is N × the office day's working time, counted from the
  moment a dossier is received, or from the next opening when it is received out of hours; so
  the due time always falls inside office hours on a working day;
- a same-day procedure (0 days) received by 15:00 is due at closing that day; received later
  (or out of hours) it is due at closing on the next working day;
- a pause (a supplement requested, a payment awaited) stops the clock: the working time
  already used is kept, and what remains is counted from the moment the dossier resumes.

Times here are local, naive wall-clock times of the site (`clock.local(...)` gives them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Holiday

WEEKEND = frozenset({5, 6})  # Saturday, Sunday
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


@dataclass(frozen=True)
class OfficeHours:
    """The office day: a morning and an afternoon session, and the same-day cut-off."""

    sessions: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(7, 0), dt.time(11, 30)),
        (dt.time(13, 30), dt.time(17, 0)),
    )
    same_day_cutoff: dt.time = dt.time(15, 0)

    @property
    def day_length(self) -> dt.timedelta:
        """Working time in one office day (8 hours by default)."""
        return sum((_span(a, b) for a, b in self.sessions), dt.timedelta())

    @property
    def closing(self) -> dt.time:
        return self.sessions[-1][1]

    @property
    def opening(self) -> dt.time:
        return self.sessions[0][0]


def _span(a: dt.time, b: dt.time) -> dt.timedelta:
    day = dt.date(2000, 1, 1)
    return dt.datetime.combine(day, b) - dt.datetime.combine(day, a)


@dataclass(frozen=True)
class Calendar:
    """Which days are worked: weekdays, less `days_off`, plus `working_days` (swapped
    Saturdays)."""

    days_off: frozenset[dt.date] = field(default_factory=frozenset)
    working_days: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() not in WEEKEND and day not in self.days_off

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after `day`."""
        day += dt.timedelta(days=1)
        for _ in range(60):  # Tết and a weekend are at most about ten days off in a row
            if self.is_working_day(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError(f"no working day within 60 days after {day}")


def seed(years: Iterable[int]) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """Days off and worked Saturdays for `years`, from the `holidays` package: what a site's
    editable calendar starts from. Returns ({day off: name}, {working day: reason})."""
    import holidays

    off: dict[dt.date, str] = {}
    worked: dict[dt.date, str] = {}
    for day, name in sorted(holidays.country_holidays("VN", years=list(years)).items()):
        off[day] = name
        found = _SUBSTITUTED.search(name)
        if found:
            month, dom, year = (int(g) for g in found.groups())
            worked[dt.date(year, month, dom)] = f"Làm bù cho ngày nghỉ {day:%d/%m/%Y}"
    return off, worked


def _sessions_on(
    day: dt.date, calendar: Calendar, hours: OfficeHours
) -> list[tuple[dt.datetime, dt.datetime]]:
    if not calendar.is_working_day(day):
        return []
    return [(dt.datetime.combine(day, a), dt.datetime.combine(day, b)) for a, b in hours.sessions]


def add_working_time(
    start: dt.datetime, amount: dt.timedelta, calendar: Calendar, hours: OfficeHours = OfficeHours()
) -> dt.datetime:
    """The moment when `amount` of working time has passed since `start`."""
    left = amount
    day = start.date()
    for _ in range(3660):
        for begin, end in _sessions_on(day, calendar, hours):
            begin = max(begin, start)
            if begin >= end:
                continue
            if begin + left <= end:
                return begin + left
            left -= end - begin
        day += dt.timedelta(days=1)
    raise ValueError("working time runs past ten years")


def working_time_between(
    a: dt.datetime, b: dt.datetime, calendar: Calendar, hours: OfficeHours = OfficeHours()
) -> dt.timedelta:
    """Working time from `a` to `b` (zero when `b` is not after `a`)."""
    total = dt.timedelta()
    day = a.date()
    while day <= b.date():
        for begin, end in _sessions_on(day, calendar, hours):
            lo, hi = max(begin, a), min(end, b)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total


def due_at(
    received: dt.datetime,
    working_days: float,
    calendar: Calendar,
    hours: OfficeHours = OfficeHours(),
) -> dt.datetime:
    """When a dossier received at `received` (local) is due, for a processing time of
    `working_days` (0: the same day)."""
    if working_days < 0:
        raise ValueError("a processing time cannot be negative")
    if working_days == 0:
        day = received.date()
        if not (calendar.is_working_day(day) and received.time() <= hours.same_day_cutoff):
            day = calendar.next_working_day(day)
        return dt.datetime.combine(day, hours.closing)
    return add_working_time(received, hours.day_length * working_days, calendar, hours)


@dataclass(frozen=True)
class Pause:
    """A stretch during which the clock stood still (from `start` to `end`, None: still)."""

    start: dt.datetime
    end: dt.datetime | None = None


def due_with_pauses(
    received: dt.datetime,
    working_days: float,
    pauses: Iterable[Pause],
    calendar: Calendar,
    hours: OfficeHours = OfficeHours(),
) -> dt.datetime | None:
    """The due time once the clock has stood still during `pauses` (in order); None while a
    pause is open: the date is set again when the dossier resumes."""
    due = due_at(received, working_days, calendar, hours)
    for pause in pauses:
        if pause.end is None:
            return None
        if pause.start >= due:
            continue
        remaining = working_time_between(pause.start, due, calendar, hours)
        due = add_working_time(pause.end, remaining, calendar, hours)
    return due


def classify_resolved(resolved: dt.datetime, due: dt.datetime) -> str:
    """*trước hạn* (early: before the due day), *đúng hạn* (on time: on the due day, by the due
    time) or *trễ hạn* (late) for a finished dossier."""
    if resolved > due:
        return "late"
    if resolved.date() < due.date():
        return "early"
    return "on_time"


# --- the site's calendar, kept in the database -------------------------------------------------


def seed_calendar(session: Session, years: Iterable[int]) -> int:
    """Add the `holidays` package's days off and worked Saturdays for `years` that the site's
    calendar does not have yet (a day a manager changed is left as it is); returns how many."""
    off, worked = seed(years)
    known = set(session.scalars(select(Holiday.day).where(Holiday.day.in_([*off, *worked]))))
    added = 0
    for day, name in off.items():
        if day not in known:
            session.add(Holiday(day=day, kind="off", name=name))
            added += 1
    for day, name in worked.items():
        if day not in known:
            session.add(Holiday(day=day, kind="work", name=name))
            added += 1
    session.commit()
    return added


def load_calendar(session: Session) -> Calendar:
    """The site's calendar as it is in the database now."""
    rows = session.execute(select(Holiday.day, Holiday.kind)).all()
    return Calendar(
        frozenset(day for day, kind in rows if kind == "off"),
        frozenset(day for day, kind in rows if kind == "work"),
    )


def set_day(session: Session, day: dt.date, kind: str, name: str = "") -> Holiday:
    """Mark `day` a day off (`off`) or a worked day (`work`) in the site's calendar, as when the
    government moves a day; kept when the calendar is seeded again."""
    if kind not in ("off", "work"):
        raise ValueError("Loại ngày là 'off' (nghỉ) hoặc 'work' (làm việc).")
    name = name.strip()[:200]
    row = session.get(Holiday, day) or Holiday(day=day)
    row.kind = kind
    row.name = name or ("Ngày nghỉ" if kind == "off" else "Ngày làm việc")
    session.add(row)
    session.commit()
    return row


def calendar_days(session: Session, year: int) -> list[Holiday]:
    """The site's days off and worked days of `year`, in order."""
    return list(
        session.scalars(
            select(Holiday)
            .where(Holiday.day >= dt.date(year, 1, 1), Holiday.day <= dt.date(year, 12, 31))
            .order_by(Holiday.day)
        )
    )
