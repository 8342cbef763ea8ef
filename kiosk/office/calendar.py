"""The site's working calendar for the manager: days off and worked days, as data, for the days
the government moves (the due dates of every dossier follow it)."""

from __future__ import annotations

from typing import Any

from flask import request

from ..auth import staff_required
from ..domain.catalog import forms
from ..domain.clock import local, utcnow
from ..domain.dossiers import workdays
from ..view_helpers import db, render, site_tz
from . import bp


@bp.route("/calendar", methods=["GET", "POST"])
@staff_required("queue.configure")
def calendar() -> Any:
    this_year = local(utcnow(), site_tz()).year
    try:
        year = int(request.args.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), 2100)
    message, error = "", ""
    if request.method == "POST":
        try:
            day = forms.parse_date(request.form.get("day", "")[:10])
            if day is None:
                raise ValueError("Ghi ngày dạng ngày/tháng/năm, ví dụ 02/09/2027.")
            row = workdays.set_day(
                db(), day, request.form.get("kind", ""), request.form.get("name", "")
            )
            message = f"Đã lưu ngày {day.strftime('%d/%m/%Y')}: {row.name}."
            year = day.year
        except ValueError as exc:
            error = str(exc) if "Loại ngày" in str(exc) else "Ngày không hợp lệ."
    return render(
        "office/calendar.html",
        year=year,
        days=workdays.calendar_days(db(), year),
        message=message,
        error=error,
    ), (400 if error else 200)
