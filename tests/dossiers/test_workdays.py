"""Working days and office hours: deadlines across Tết, 30/4-1/5 and 2/9, after-hours filing,
same-day procedures, swapped Saturdays and a supplement pausing the clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kiosk.domain.dossiers.workdays import (
    Calendar,
    OfficeHours,
    Pause,
    add_working_time,
    classify_resolved,
    due_at,
    due_with_pauses,
    seed,
    working_time_between,
)

_OFF, _WORKED = seed([2025, 2026, 2027])
#: The calendar straight from the `holidays` package, as a site's starts.
CAL = Calendar(frozenset(_OFF), frozenset(_WORKED))


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi)


def test_the_calendar_is_seeded_from_the_holidays_package() -> None:
    off, worked = seed([2026])
    assert {dt.date(2026, 2, d) for d in range(16, 21)} <= set(off)  # Tết, Mon to Fri
    assert dt.date(2026, 4, 30) in off and dt.date(2026, 5, 1) in off
    assert dt.date(2026, 9, 2) in off and dt.date(2026, 8, 31) in off
    # The Saturday worked to give 31/8 off.
    assert dt.date(2026, 8, 22) in worked and "31/08/2026" in worked[dt.date(2026, 8, 22)]
    assert CAL.is_working_day(dt.date(2026, 8, 22))
    assert not CAL.is_working_day(dt.date(2026, 8, 23))


def test_seven_working_days_across_tet() -> None:
    # Monday 9/2/2026, 9:00; Tết is 16-20/2 and the weekends around it.
    assert due_at(at(2026, 2, 9), 7, CAL) == at(2026, 2, 25, 9)


def test_one_working_day_across_30_4_and_1_5() -> None:
    # Wednesday 29/4/2026, 16:00: one hour that day, then seven on Monday 4/5.
    assert due_at(at(2026, 4, 29, 16), 1, CAL) == at(2026, 5, 4, 16)


def test_two_working_days_across_2_9_and_a_worked_saturday() -> None:
    # Friday 28/8/2026: 31/8, 1/9 and 2/9 are off.
    assert due_at(at(2026, 8, 28, 10), 2, CAL) == at(2026, 9, 4, 10)
    # Friday 21/8: the next day, Saturday 22/8, is worked.
    assert due_at(at(2026, 8, 21, 10), 1, CAL) == at(2026, 8, 22, 10)


def test_after_hours_filing_counts_from_the_next_working_morning() -> None:
    assert due_at(at(2026, 11, 17, 18, 30), 1, CAL) == at(2026, 11, 18, 17)
    # At lunch: counted from 13:30, 3.5 h that afternoon and 4.5 h the next morning.
    assert due_at(at(2026, 11, 17, 12, 0), 1, CAL) == at(2026, 11, 18, 11, 30)
    # On a Saturday: from Monday morning.
    assert due_at(at(2026, 11, 14, 10), 1, CAL) == at(2026, 11, 16, 17)


def test_same_day_procedures() -> None:
    assert due_at(at(2026, 11, 17, 14, 0), 0, CAL) == at(2026, 11, 17, 17)
    assert due_at(at(2026, 11, 17, 15, 0), 0, CAL) == at(2026, 11, 17, 17)
    assert due_at(at(2026, 11, 17, 15, 1), 0, CAL) == at(2026, 11, 18, 17)
    # Friday before Tết, late: the first working day after it.
    assert due_at(at(2026, 2, 13, 16), 0, CAL) == at(2026, 2, 23, 17)


def test_a_supplement_request_stops_the_clock() -> None:
    received = at(2026, 11, 16)  # Monday 9:00, three working days: Thursday 9:00
    assert due_at(received, 3, CAL) == at(2026, 11, 19, 9)
    paused = Pause(at(2026, 11, 17, 9))  # a day used, then the supplement is asked for
    assert due_with_pauses(received, 3, [paused], CAL) is None
    resumed = Pause(paused.start, at(2026, 11, 23, 14))  # Monday after, 14:00
    # Two working days (16 h) remain from Monday 14:00: 3 h Monday, then (Tuesday 24/11 is
    # Vietnam Culture Day, off from 2026) 8 h Wednesday and 5 h Thursday.
    assert not CAL.is_working_day(dt.date(2026, 11, 24))
    assert due_with_pauses(received, 3, [resumed], CAL) == at(2026, 11, 26, 14)


def test_half_days_and_the_working_time_arithmetic() -> None:
    assert due_at(at(2026, 11, 16, 7), 0.5, CAL) == at(2026, 11, 16, 11)  # four hours
    start = at(2026, 11, 20, 16)  # Friday
    later = add_working_time(start, dt.timedelta(hours=3), CAL)
    assert later == at(2026, 11, 23, 9)
    assert working_time_between(start, later, CAL) == dt.timedelta(hours=3)
    assert working_time_between(later, start, CAL) == dt.timedelta()
    with pytest.raises(ValueError):
        due_at(start, -1, CAL)


def test_the_due_time_is_always_inside_office_hours_on_a_working_day() -> None:
    hours = OfficeHours()
    received = at(2026, 1, 26, 0, 0)
    while received < at(2026, 3, 10):
        for days in (0, 1, 3, 7, 15):
            due = due_at(received, days, CAL)
            assert CAL.is_working_day(due.date()), (received, days, due)
            assert any(a < due.time() <= b for a, b in hours.sessions), (received, days, due)
            assert due > received
        received += dt.timedelta(minutes=97)


def test_early_on_time_and_late() -> None:
    due = at(2026, 11, 25, 14)
    assert classify_resolved(at(2026, 11, 24, 16), due) == "early"
    assert classify_resolved(at(2026, 11, 25, 9), due) == "on_time"
    assert classify_resolved(due, due) == "on_time"
    assert classify_resolved(at(2026, 11, 25, 14, 1), due) == "late"


def test_an_edited_calendar_is_followed() -> None:
    # A manager adds a day off the package does not know, and a worked Saturday.
    edited = Calendar(CAL.days_off | {dt.date(2026, 11, 19)}, CAL.working_days)
    assert due_at(at(2026, 11, 16), 3, edited) == at(2026, 11, 20, 9)


def test_init_db_seeds_the_sites_calendar_and_keeps_a_managers_change(app: Any) -> None:
    from kiosk.domain.dossiers.workdays import load_calendar
    from kiosk.models import Holiday

    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    session = app.extensions["kiosk.sessionmaker"]()
    try:
        this_year = dt.date.today().year
        tet = next(d for d, n in seed([this_year])[0].items() if "Lunar New Year" in n)
        assert not load_calendar(session).is_working_day(tet)
        # The government moves a day: the manager marks it worked; seeding again keeps it.
        row = session.get(Holiday, tet)
        assert row is not None
        row.kind = "work"
        session.commit()
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "Lịch làm việc" not in result.output
        assert load_calendar(session).is_working_day(tet)
    finally:
        session.close()
