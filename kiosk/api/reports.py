"""`/api/v1/reports/period` and `/api/v1/reports/index`: the period report and the service
index of a unit (the center, a department, a commune) for a period, for staff with
`reports.read` (a manager's token)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from .. import auth, report_pages
from ..domain.accounts import can
from ..domain.reports import Period, PeriodError, UnitChoice
from ..domain.reports.index import service_index
from ..domain.reports.period import period_report
from ..web import db, site_tz
from . import bp, error


class _Refused(Exception):
    def __init__(self, answer: Any) -> None:
        self.answer = answer


def _asked() -> tuple[UnitChoice, Period]:
    """The unit and period asked for; _Refused with the error answer otherwise."""
    user = auth.current_user()
    if user is None:
        raise _Refused(
            error(401, "unauthorized", "Cần tài khoản cán bộ (Authorization: Bearer <mã>).")
        )
    if not can(user, "reports.read"):
        raise _Refused(error(403, "forbidden", "Tài khoản của bạn không xem được báo cáo."))
    try:
        period = report_pages.period_in_query(report_pages.this_month())
    except PeriodError as exc:
        raise _Refused(error(400, "bad_request", str(exc))) from exc
    unit, _choices = report_pages.unit_in_query()
    if unit is None:
        raise _Refused(error(404, "not_found", "Không có đơn vị này."))
    return unit, period


def _head(unit: UnitChoice, period: Period) -> dict[str, Any]:
    return {"unit": unit.code, "unit_name": unit.name, "from": period.start.isoformat(),
            "to": period.end.isoformat()}  # fmt: skip


@bp.get("/reports/period")
def report_period() -> Any:
    try:
        unit, period = _asked()
    except _Refused as refused:
        return refused.answer
    counts = period_report(db(), period, unit=unit.code,
                           site_code=current_app.config["SITE_CODE"], tz=site_tz())  # fmt: skip
    return {**_head(unit, period), **counts.as_dict()}


@bp.get("/reports/index")
def report_index() -> Any:
    try:
        unit, period = _asked()
    except _Refused as refused:
        return refused.answer
    index = service_index(db(), period, unit=unit.code,
                          site_code=current_app.config["SITE_CODE"], tz=site_tz())  # fmt: skip
    return {**_head(unit, period), **index.as_dict()}
