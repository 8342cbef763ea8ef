"""Time: UTC in the database (naive, the same on SQLite and PostgreSQL), local for people.

A center's day, its opening hours and its ticket numbering follow its own time zone
(`KIOSK_SITE_TZ`, Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> dt.datetime:
    """Now, as naive UTC (how every time is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local(at: dt.datetime, tz: dt.tzinfo = VIETNAM) -> dt.datetime:
    """A stored (naive UTC) time in the site's zone."""
    return at.replace(tzinfo=dt.UTC).astimezone(tz)


def local_day(at: dt.datetime, tz: dt.tzinfo = VIETNAM) -> dt.date:
    """The site's calendar day at a stored time."""
    return local(at, tz).date()


def today(tz: dt.tzinfo = VIETNAM) -> dt.date:
    """The site's day now: the one "today" of fees, tickets and dossiers (never the server's
    `date.today()`, which is the machine's zone's)."""
    return local_day(utcnow(), tz)


def wall_clock(at: dt.datetime, tz: dt.tzinfo = VIETNAM) -> dt.datetime:
    """A stored time as the site's naive wall-clock time (what office hours are written in)."""
    return local(at, tz).replace(tzinfo=None)


def stored(wall: dt.datetime, tz: dt.tzinfo = VIETNAM) -> dt.datetime:
    """The site's naive wall-clock time as a stored (naive UTC) time."""
    return wall.replace(tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)
