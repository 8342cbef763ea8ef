"""Reports computed from the system's own records, one module per report:

- `period.py`: the period report in the provinces' structure (received, resolved, in
  progress), per unit, in SQL;
- `index.py`: the service index (Decision 766) in its five groups, per unit and per counter,
  with the dossiers that lost points;
- `queue.py`: the queue's statistics (tickets per hour and day, waits, service times,
  no-shows, the wait estimate's error);
- `branch.py`: a bank branch's agent work (dossiers per procedure, day and agent) and its
  money (fees collected, by cash or VietQR, against cash handed over to the agency).

A unit is the center (the site's code), a department or a commune (`Dossier.unit`, decided
when the dossier is received by `domain/units.py`; `report_unit` may name them otherwise).

A period is a range of local days, `Period(start, end)` with `end` included; the rows are
stored in UTC and turned into the site's days here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..clock import VIETNAM, stored
from ..text import N_
from ..units import kind_of, name_of

#: The longest period a report covers.
MAX_DAYS = 400


class PeriodError(ValueError):
    """A period that cannot be reported on; the message says why."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, start: str, end: str, *, default_end: dt.date) -> Period:
        """From `dd/mm/yyyy` (as staff type them) or `YYYY-MM-DD` texts; an empty end is
        `default_end`, an empty start the first of the end's month. PeriodError when malformed,
        reversed or too long."""
        from ..catalog.forms import parse_date

        last = parse_date(end) if end else default_end
        first = parse_date(start) if start else (last.replace(day=1) if last else None)
        if first is None or last is None:
            raise PeriodError(
                "Ngày phải theo dạng ngày/tháng/năm (01/11/2026) hoặc YYYY-MM-DD (2026-11-01)."
            )
        if first > last:
            raise PeriodError("Ngày bắt đầu phải trước ngày kết thúc.")
        if (last - first).days >= MAX_DAYS:
            raise PeriodError(f"Mỗi báo cáo tối đa {MAX_DAYS} ngày.")
        return cls(first, last)

    def bounds(self, tz: dt.tzinfo = VIETNAM) -> tuple[dt.datetime, dt.datetime]:
        """The period as stored (UTC) instants: from the first day's midnight, to the midnight
        after the last day, excluded."""
        return (
            stored(dt.datetime.combine(self.start, dt.time()), tz),
            stored(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()), tz),
        )

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class UnitChoice:
    code: str
    name: str
    kind: str  # center, department or commune; at the hub also province and site


#: The whole province, at the hub (the unit asked for with no code).
PROVINCE = N_("Toàn tỉnh")


def units(session: Any, site_code: str, site_name: str) -> list[UnitChoice]:
    """The units a report can be asked for: the center first, then its departments and its
    communes (from `report_unit`, and any unit a dossier names that the table does not). At
    the province's hub (dossiers of other sites), the whole province first (code ""), then
    each site by its code, this one first."""
    from sqlalchemy import select

    from ...models import Dossier, Unit

    named = {u.code: u for u in session.scalars(select(Unit))}
    seen = set(session.scalars(select(Dossier.unit).distinct()))
    others = sorted(set(session.scalars(select(Dossier.site_code).distinct())) - {site_code})
    if others:  # the province's hub: the whole province first, then each site
        out = [UnitChoice("", PROVINCE, "province"), UnitChoice(site_code, site_name, "site")]
        out += [UnitChoice(code, named[code].name if code in named else code, "site")
                for code in others]  # fmt: skip
    else:
        out = [UnitChoice(site_code, site_name, "center")]
    rows = [UnitChoice(c, u.name, u.kind) for c, u in named.items() if c not in others]
    rows += [UnitChoice(c, name_of(c) or c, kind_of(c))
             for c in seen - set(named) - {site_code} - set(others)]  # fmt: skip
    out += sorted(rows, key=lambda u: (u.kind != "department", u.name))
    return out


def find_unit(choices: list[UnitChoice], code: str) -> UnitChoice | None:
    """The unit asked for (the center for an empty code), or None when there is none such."""
    code = (code or "").strip()
    if not code:
        return choices[0]
    return next((u for u in choices if u.code == code), None)
