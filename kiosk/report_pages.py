"""Web glue shared by the reports of the office, the agent portal and the API: the period and
the unit a request asks for (`?unit=&from=YYYY-MM-DD&to=YYYY-MM-DD`), and the audit log's
page, which a supervisor sees for their branch and an admin for everyone."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask import current_app, flash, get_flashed_messages, request
from flask_babel import gettext

from .auth import current_user
from .domain.accounts import audit
from .domain.clock import local, local_day, utcnow
from .domain.reports import Period, PeriodError, UnitChoice, find_unit, units
from .domain.units import kind_of, name_of
from .view_helpers import csv_download, db, id_arg, render, site_tz


def this_month() -> Period:
    """From the first of this month to today (the site's days)."""
    today = local_day(utcnow(), site_tz())
    return Period(today.replace(day=1), today)


def last_month() -> Period:
    end = this_month().start - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)


def period_in_query(default: Period) -> Period:
    """The period `?from=&to=` asks for (a missing start is the first of the end's month, a
    missing end today), or `default` when neither is given; PeriodError when malformed."""
    start, end = request.args.get("from", "")[:10], request.args.get("to", "")[:10]
    if not start and not end:
        return default
    return Period.parse(start, end, default_end=local_day(utcnow(), site_tz()))


def period_from_args() -> Period:
    """The period in the query; a malformed one is said in a message and this month is shown."""
    try:
        return period_in_query(this_month())
    except PeriodError as exc:
        flash(str(exc), "error")
        return this_month()


def own_unit() -> str:
    """The unit the signed-in manager is confined to (`User.unit_code`), "" for the center's."""
    user = current_user()
    return user.unit_code if user is not None else ""


def unit_in_query() -> tuple[UnitChoice | None, list[UnitChoice]]:
    """The unit `?unit=` asks for (the center when empty; None when there is no such unit),
    and every unit a report may be asked for. A manager confined to a unit may ask for that
    unit only (the default); any other answers None, exactly as a unit that does not exist."""
    config = current_app.config
    choices = [
        replace(u, name=gettext(u.name)) if u.kind == "province" else u
        for u in units(db(), config["SITE_CODE"], config["SITE_NAME"])
    ]
    asked = request.args.get("unit", "")[:64]
    own = own_unit()
    if own:
        mine = next((u for u in choices if u.code == own), None)
        choices = [mine or UnitChoice(own, name_of(own) or own, kind_of(own))]
        asked = asked or own
    return find_unit(choices, asked), choices


def audit_page(branch: str | None, endpoint: str, base: str) -> Any:
    """The audit log between two days, newest first, filtered by action and dossier, as a page
    (extending the surface's `base` template) or CSV; `branch` None shows every branch's and
    the center's entries (an admin's view)."""
    period = period_from_args()
    start, end = period.bounds(site_tz())
    rows = audit.entries(
        db(), branch=branch, start=start, end=end, action=request.args.get("action", "")[:48],
        dossier=request.args.get("dossier", "")[:40],
        before_id=id_arg("before"),
    )  # fmt: skip
    if request.args.get("format") == "csv":
        return csv_download(
            f"nhat-ky-{period.start}-{period.end}.csv",
            ["thoi_diem", "nguoi_thuc_hien", "chi_nhanh", "hanh_dong", "ho_so", "chi_tiet",
             "ket_qua"],
            [(local(e.at, site_tz()).isoformat(timespec="seconds"), e.actor_name, e.branch_code,
              e.action, e.dossier_code, e.detail, e.outcome) for e in rows],
        )  # fmt: skip
    return render(
        "_audit_log.html", rows=rows, period=period, actions=audit.ACTIONS, tz=site_tz(),
        local=local, args=request.args, endpoint=endpoint, page=audit.PAGE, body_class=base,
        messages=get_flashed_messages(with_categories=True),
    )  # fmt: skip
