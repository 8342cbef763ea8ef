"""The manager's dashboard (`reports.read`): for a unit and a period, the period report, the
service index with what lost points per group, per unit and per counter, and the queue's
statistics, as server-drawn charts that refresh themselves (htmx, every minute), each with its
numbers as CSV (`?table=`); the drill-down to the dossiers that lost a group its points; and
the period report as a page to print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, request
from flask_babel import gettext as _
from sqlalchemy import select

from .. import charts, report_pages
from ..auth import current_user, staff_required
from ..domain import province
from ..domain.accounts import can
from ..domain.clock import local, utcnow
from ..domain.dossiers import LABELS, DossierState
from ..domain.reports import PROVINCE, Period, PeriodError, UnitChoice
from ..domain.reports import index as service
from ..domain.reports.period import Counts, by_site, by_unit, period_report
from ..domain.reports.queue import QueueStats, merge, own_figures, queue_stats
from ..domain.text import N_
from ..models import Counter
from ..view_helpers import csv_download, db, render, site_tz
from . import bp

PERIOD_ROWS = (
    ("received_online", N_("Tiếp nhận mới trực tuyến")),
    ("received_direct", N_("Tiếp nhận mới trực tiếp, bưu chính")),
    ("carried_over", N_("Từ kỳ trước chuyển sang")),
    ("resolved_early", N_("Đã giải quyết trước hạn")),
    ("resolved_on_time", N_("Đã giải quyết đúng hạn")),
    ("resolved_late", N_("Đã giải quyết trễ hạn")),
    ("in_progress_on_time", N_("Đang giải quyết còn hạn")),
    ("in_progress_overdue", N_("Đang giải quyết quá hạn")),
    ("closed_other", N_("Từ chối, rút, dừng xử lý")),
)


#: The dashboard's tables of the whole center (counters and queue), not a unit's.
CENTER_TABLES = ("counters", "hours", "days", "services", "queue_counters", "sites")


def _asked() -> tuple[UnitChoice, Period, list[UnitChoice], str]:
    """The unit and period in the query (the center and last month by default); a malformed
    period is said and last month shown; an unknown unit is 404."""
    message = ""
    try:
        period = report_pages.period_in_query(report_pages.last_month())
    except PeriodError as exc:
        message, period = str(exc), report_pages.last_month()
    unit, choices = report_pages.unit_in_query()
    if unit is None:
        abort(404)
    return unit, period, choices, message


def _name(choices: list[UnitChoice], code: str) -> str:
    return next((u.name for u in choices if u.code == code), code)


def _queue_csv(queue: QueueStats, table: str, name: str) -> Any:
    """One of the queue's tables as CSV: `hours`, `days`, `services` or `queue_counters`."""
    if table == "hours":
        return csv_download(f"so-thu-tu-theo-gio-{name}.csv", ["gio", "so_thu_tu"], queue.by_hour)
    if table == "days":
        return csv_download(f"so-thu-tu-theo-ngay-{name}.csv", ["ngay", "so_thu_tu"],
                            [(d.isoformat(), n) for d, n in queue.by_day])  # fmt: skip
    rows_t = queue.by_service if table == "services" else queue.by_counter
    return csv_download(
        f"thoi-gian-{table}-{name}.csv",
        ["ma", "ten", "so_thu_tu", "vang_mat", "cho_tb_phut", "cho_p90_phut",
         "phuc_vu_tb_phut", "phuc_vu_p90_phut"],
        [(t.key, t.name, t.tickets, t.no_shows, t.wait_avg, t.wait_p90, t.service_avg,
          t.service_p90) for t in rows_t],
    )  # fmt: skip


def _queue_charts(queue: QueueStats) -> dict[str, Any]:
    """The queue's charts: tickets per hour and per day, waits per service."""
    return {
        "hours": charts.columns([f"{h}h" for h, _n in queue.by_hour],
                                [(_("Số thứ tự"), [n for _h, n in queue.by_hour])],
                                title=_("Số thứ tự theo giờ trong ngày")),
        "days": charts.columns([d.strftime("%d/%m") for d, _n in queue.by_day],
                               [(_("Số thứ tự"), [n for _d, n in queue.by_day])],
                               title=_("Số thứ tự theo ngày")),
        "waits": charts.columns(
            [t.name for t in queue.by_service],
            [(_("Chờ trung bình"), [t.wait_avg for t in queue.by_service]),
             (_("Chờ P90"), [t.wait_p90 for t in queue.by_service])],
            title=_("Thời gian chờ theo dịch vụ (phút)"), stacked=False),
    }  # fmt: skip


def _queue(unit: UnitChoice, period: Period) -> QueueStats:
    """The queue's statistics the dashboard shows: this site's own tickets (a site by itself,
    or this site at the hub), another site's figures, or at the hub the whole province's (its
    own days' figures and every site's, added up)."""
    tz, own = site_tz(), current_app.config["SITE_CODE"]
    if unit.kind == "site" and unit.code != own:
        return merge(province.queue_figures(db(), period.start, period.end, unit.code), period)
    if unit.kind == "province":
        return merge(own_figures(db(), period, tz)
                     + province.queue_figures(db(), period.start, period.end), period)  # fmt: skip
    return queue_stats(db(), period, tz)


@dataclass(frozen=True)
class SiteLine:
    """One site's line in the province's view (or the province's total)."""

    code: str
    name: str
    counts: Any
    index: service.Index
    queue: QueueStats

    @property
    def wait_avg(self) -> float:
        """The average wait of the line's tickets (minutes), from its services' averages."""
        rows = [t for t in self.queue.by_service if t.tickets]
        waited = sum(t.tickets for t in rows)
        return round(sum(t.wait_avg * t.tickets for t in rows) / waited, 1) if waited else 0.0


@dataclass(frozen=True)
class Province:
    rows: list[SiteLine]
    total: SiteLine
    status: list[Any]
    silent_hours: int
    silent: set[str]


def _sites(choices: list[UnitChoice], period: Period, seen: service.Overview) -> Province:
    """The province's view at the hub: each site's period report, index and queue side by
    side, the province's total (the sum of the sites'), and each site's sync status."""
    tz, own = site_tz(), current_app.config["SITE_CODE"]
    counts = by_site(db(), period, tz=tz)
    rows = [
        SiteLine(u.code, u.name, counts.get(u.code, Counts()),
                 service.service_index(db(), period, unit=u.code, site_code=own, tz=tz),
                 _queue(u, period))
        for u in choices if u.kind == "site"
    ]  # fmt: skip
    total = SiteLine("", _(PROVINCE), seen.counts, seen.index,
                     _queue(UnitChoice("", PROVINCE, "province"), period))  # fmt: skip
    today = local(utcnow(), tz).date()
    start, end = Period(today, today).bounds(tz)
    user = current_user()
    status = (
        province.sync_status(db(), user, day_start=start, day_end=end)
        if can(user, "sync.read") else []
    )  # fmt: skip
    hours = province.silent_hours(db())
    silent = {s.site for s in status if province.is_silent(s, hours)}
    return Province(rows, total, status, hours, silent)


@bp.get("/reports")
@staff_required("reports.read")
def reports() -> Any:
    unit, period, choices, message = _asked()
    tz, site = site_tz(), current_app.config["SITE_CODE"]
    seen = service.overview(db(), period, tz=tz)  # one pass for the center and every unit
    if unit.kind in ("center", "province"):
        counts, index = seen.counts, seen.index
    else:
        counts = seen.unit_counts.get(unit.code) or period_report(
            db(), period, unit=unit.code, site_code=site, tz=tz)  # fmt: skip
        index = seen.unit_index.get(unit.code) or service.service_index(
            db(), period, unit=unit.code, site_code=site, tz=tz)  # fmt: skip
    per_unit = seen.unit_index
    counters = {c.id: c for c in db().scalars(select(Counter))}
    per_counter = seen.counter_index
    table = request.args.get("table", "")
    # A manager confined to a unit sees that unit's line only; the counters and the queue are
    # the whole center's, so theirs are neither shown nor computed.
    whole = not report_pages.own_unit()
    if not whole:
        per_unit = {k: v for k, v in per_unit.items() if k == unit.code}
        per_counter = {}
        if table in CENTER_TABLES:
            abort(404)
    queue = _queue(unit, period) if whole else None
    sites = _sites(choices, period, seen) if whole and unit.kind == "province" else None
    name = f"{unit.code or 'toan-tinh'}-{period.start}-{period.end}"
    if table == "period":
        return csv_download(f"bao-cao-ky-{name}.csv", ["chi_tieu", "so_ho_so"],
                            list(counts.as_dict().items()))  # fmt: skip
    if table == "index":
        return csv_download(
            f"chi-so-{name}.csv", ["nhom", "diem", "toi_da", "tu_so", "mau_so", "cong_thuc"],
            [(g.key, g.points, g.maximum, g.numerator, g.denominator, service.FORMULAS[g.key])
             for g in index.groups.values()],
        )  # fmt: skip
    if table in ("units", "counters"):
        rows: dict[Any, service.Index] = dict(per_unit if table == "units" else per_counter)

        def label(k: Any) -> str:
            if table == "units":
                return _name(choices, k)
            return counters[k].name if k in counters else str(k)

        return csv_download(
            f"chi-so-theo-{'don-vi' if table == 'units' else 'quay'}-{period.start}-{period.end}"
            ".csv", ["ma", "ten", "tong", *service.GROUPS],
            [(k, label(k), v.total, *(v.groups[g].points for g in service.GROUPS))
             for k, v in rows.items()],
        )  # fmt: skip
    if sites is not None and table == "sites":
        return csv_download(
            f"cac-don-vi-{period.start}-{period.end}.csv",
            ["ma", "ten", "tiep_nhan", "da_giai_quyet", "dang_giai_quyet", "qua_han",
             "tong_diem", "so_thu_tu", "vang_mat", "cho_tb_phut"],
            [(r.code, r.name, r.counts.received, r.counts.resolved, r.counts.in_progress,
              r.counts.in_progress_overdue, r.index.total, r.queue.tickets, r.queue.no_shows,
              r.wait_avg) for r in [*sites.rows, sites.total]],
        )  # fmt: skip
    if queue is not None and table in ("hours", "days", "services", "queue_counters"):
        return _queue_csv(queue, table, name)
    if table:
        abort(404)
    groups = list(index.groups.values())
    charts_ = {
        "period": charts.bars([(_(label), getattr(counts, key)) for key, label in PERIOD_ROWS],
                              title=_("Tình hình giải quyết hồ sơ"), width=520, label_chars=34),
        "index": charts.bars([(_(service.NAMES[g.key]) + f" (/{g.maximum})", g.points)
                              for g in groups], title=_("Điểm theo nhóm chỉ số"),
                             colour=charts.PALETTE[2], width=520, label_chars=34),
        "units": charts.bars([(_name(choices, k), v.total) for k, v in
                              sorted(per_unit.items(), key=lambda kv: kv[1].total)],
                             title=_("Tổng điểm theo đơn vị (thấp nhất trước)"), maximum=100),
        "counters": charts.bars([(counters[k].name if k in counters else str(k), v.total)
                                 for k, v in sorted(per_counter.items())],
                                title=_("Tổng điểm theo quầy (hồ sơ quầy tiếp nhận)"),
                                maximum=100),
        **(_queue_charts(queue) if queue is not None else {}),
    }  # fmt: skip
    return render(
        "office/reports.html", block="dashboard",
        unit=unit, period=period, choices=choices, message=message, counts=counts,
        rows=PERIOD_ROWS, index=index, groups=groups, names=service.NAMES,
        formulas=service.FORMULAS, whole=whole, sites=sites,
        per_unit=sorted(per_unit.items(), key=lambda kv: kv[1].total),
        per_counter=sorted(per_counter.items()), counters=counters, unit_name=lambda k:
        _name(choices, k), queue=queue, charts=charts_,
        q={"unit": unit.code, "from": period.start.isoformat(), "to": period.end.isoformat()},
        updated=local(utcnow(), site_tz()), local=local, tz=tz,
    )  # fmt: skip


@bp.get("/reports/losses")
@staff_required("reports.read")
def report_losses() -> Any:
    """The dossiers that lost a group its points, with why, linking to each dossier: of a unit,
    or of the dossiers a counter received (`?counter=ID`)."""
    unit, period, choices, _message = _asked()
    group = request.args.get("group", "")
    if group not in service.GROUPS:
        abort(404)
    counter = None
    if request.args.get("counter"):
        raw = request.args.get("counter", "")
        counter = db().get(Counter, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if counter is None or report_pages.own_unit():  # a counter's dossiers cross units
            abort(404)
    rows = service.losses(db(), group, period, unit=unit.code, tz=site_tz(),
                          site_code=current_app.config["SITE_CODE"], limit=500,
                          counter=counter.id if counter else None)  # fmt: skip
    if request.args.get("format") == "csv":
        return csv_download(
            f"mat-diem-{group}-{unit.code}-{period.start}-{period.end}.csv",
            ["ma_ho_so", "thu_tuc", "don_vi", "kenh", "tiep_nhan", "han", "trang_thai", "ly_do"],
            [(d.code, d.procedure_name, d.unit, d.channel,
              local(d.received_at, site_tz()).isoformat(timespec="minutes"),
              local(d.due_at, site_tz()).isoformat(timespec="minutes") if d.due_at else "",
              d.status, service.WHY[group]) for d in rows],
        )  # fmt: skip
    return render(
        "office/report_losses.html", unit=unit, period=period, group=group, rows=rows,
        names=service.NAMES, why=service.WHY[group], formula=service.FORMULAS[group],
        counter=counter,
        labels=LABELS, state=DossierState, local=local, tz=site_tz(),
        unit_name=lambda k: _name(choices, k),
        q={"unit": unit.code, "from": period.start.isoformat(), "to": period.end.isoformat()},
    )  # fmt: skip


@bp.get("/reports/print")
@staff_required("reports.read")
def report_print() -> Any:
    """The period report of a unit as a page to print, with each unit's lines for the center."""
    unit, period, choices, _message = _asked()
    tz, site = site_tz(), current_app.config["SITE_CODE"]
    counts = period_report(db(), period, unit=unit.code, site_code=site, tz=tz)
    lines = by_unit(db(), period, tz=tz) if unit.kind in ("center", "province") else {}
    return render(
        "office/report_print.html", unit=unit, period=period, counts=counts, rows=PERIOD_ROWS,
        lines=sorted(lines.items(), key=lambda kv: _name(choices, kv[0])),
        unit_name=lambda k: _name(choices, k), printed=local(utcnow(), tz),
    )  # fmt: skip
