"""The manager's set-up: services, counters, kiosk stations and printers."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, get_flashed_messages, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import defer

from ..auth import current_user, staff_required
from ..domain import province, queue
from ..domain.printing import delivery
from ..domain.queue import (
    ConfigInvalid,
    ServiceForm,
    save_counter,
    save_service,
    save_station,
)
from ..models import Branch, KioskStation, PrinterState, PrintJob, Service, User
from ..view_helpers import as_id, db, id_arg, printer_policy, render
from . import bp


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


@bp.route("/services", methods=["GET", "POST"])
@staff_required("queue.configure")
def services() -> Any:
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    edit_id = id_arg("edit")
    if request.method == "POST":
        form = request.form.to_dict()
        sid = id_arg("id", request.form)
        try:
            svc = save_service(
                db(),
                _user(),
                ServiceForm(
                    code=form.get("code", ""),
                    name=form.get("name", ""),
                    prefix=form.get("prefix", ""),
                    name_en=form.get("name_en", ""),
                    opens_at=form.get("opens_at", ""),
                    closes_at=form.get("closes_at", ""),
                    fields=form.get("fields", ""),
                    default_minutes=form.get("default_minutes", "10"),
                    position=form.get("position", "0"),
                    active=form.get("active") == "on",
                ),
                sid,
            )
        except ConfigInvalid as exc:
            errors = exc.errors
            edit_id = sid
        else:
            flash(f"Đã lưu dịch vụ {svc.code}.", "ok")
            return redirect(url_for("office.services"))
    editing = db().get(Service, edit_id) if edit_id else None
    if edit_id and editing is None:
        return render(
            "office/message.html",
            title="Không có dịch vụ",
            message=f"Không có dịch vụ số {edit_id}.",
        ), 404
    return render(
        "office/services.html",
        services=queue.services(db(), active_only=False),
        editing=editing,
        form=form,
        errors=errors,
        messages=get_flashed_messages(with_categories=True),
    ), (400 if errors else 200)


@bp.route("/setup/counters", methods=["GET", "POST"])
@staff_required("queue.configure")
def counters() -> Any:
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    edit_id = id_arg("edit")
    if request.method == "POST":
        form = request.form.to_dict()
        cid = id_arg("id", request.form)
        try:
            counter = save_counter(
                db(),
                _user(),
                number=form.get("number", ""),
                name=form.get("name", ""),
                service_ids=[i for v in request.form.getlist("services") if (i := as_id(v))],
                printer_url=form.get("printer_url", ""),
                printer_profile=form.get("printer_profile", ""),
                active=form.get("active") == "on",
                counter_id=cid,
                policy=printer_policy(),
            )
        except ConfigInvalid as exc:
            errors = exc.errors
            edit_id = cid
        else:
            flash(f"Đã lưu {counter.label}.", "ok")
            return redirect(url_for("office.counters"))
    try:
        editing = queue.get_counter(db(), edit_id) if edit_id else None
    except queue.QueueError as exc:
        return render("office/message.html", title="Không có quầy", message=str(exc)), 404
    return render(
        "office/counters.html",
        counters=queue.counters(db(), active_only=False),
        services=queue.services(db(), active_only=False),
        editing=editing,
        form=form,
        errors=errors,
        messages=get_flashed_messages(with_categories=True),
    ), (400 if errors else 200)


@bp.route("/setup/sound", methods=["GET", "POST"])
@staff_required("queue.configure")
def sound() -> Any:
    """The loudness of the kiosk's read-aloud and of the displays' spoken calls."""
    error, value = "", ""
    if request.method == "POST":
        value = request.form.get("volume", "")[:16]
        try:
            kept = queue.set_speech_volume(db(), _user(), value)
        except ConfigInvalid as exc:
            error = exc.errors["volume"]
        else:
            flash(f"Đã lưu âm lượng {kept}%.", "ok")
            return redirect(url_for("office.sound"))
    stored = queue.speech_volume(db())
    return render(
        "office/sound.html",
        stored=stored,
        fallback=current_app.config["SPEECH_VOLUME"],
        value=value,
        error=error,
        messages=get_flashed_messages(with_categories=True),
    ), (400 if error else 200)


@bp.route("/setup/sync", methods=["GET", "POST"])
@staff_required("sync.read")
def sync_setup() -> Any:
    """At the province's hub: after how many hours without an event a site is flagged silent
    on the dashboard."""
    error, value = "", ""
    if request.method == "POST":
        value = request.form.get("hours", "")[:16]
        try:
            kept = province.set_silent_hours(db(), _user(), value)
        except province.SettingInvalid as exc:
            error = gettext(str(exc))
        else:
            flash(gettext("Đã lưu: báo đơn vị im lặng quá %(h)s giờ.", h=kept), "ok")
            return redirect(url_for("office.sync_setup"))
    return render(
        "office/sync_setup.html",
        stored=province.silent_hours(db()),
        value=value,
        error=error,
        messages=get_flashed_messages(with_categories=True),
    ), (400 if error else 200)


@bp.route("/printers", methods=["GET", "POST"])
@staff_required("counter.work")
def printers() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            station = save_station(
                db(),
                _user(),
                request.form.get("code", ""),
                request.form.get("name", ""),
                request.form.get("printer_url", ""),
                request.form.get("printer_profile", ""),
                policy=printer_policy(),
            )
        except ConfigInvalid as exc:
            errors = exc.errors
        else:
            flash(f"Đã lưu kiosk {station.code}.", "ok")
            return redirect(url_for("office.printers"))
    session = db()
    default_url = current_app.config["PRINTER_URL"]
    counters = queue.counters(session, active_only=False)
    stations = list(session.scalars(select(KioskStation).order_by(KioskStation.code)))
    states = {p.url: p for p in session.scalars(select(PrinterState))}
    waiting = delivery.pending_counts(session)
    urls = {default_url, *states}
    urls |= {c.printer_url for c in counters if c.printer_url}
    urls |= {s.printer_url for s in stations if s.printer_url}
    urls |= set(session.scalars(select(Branch.printer_url).where(Branch.printer_url != "")))
    # The listing needs no payloads (tens of kilobytes each).
    jobs = list(
        session.scalars(
            select(PrintJob)
            .options(defer(PrintJob.payload))
            .order_by(PrintJob.created_at.desc())
            .limit(30)
        )
    )
    return render(
        "office/printers.html",
        printers=sorted(urls),
        default_url=default_url,
        states=states,
        waiting=waiting,
        jobs=jobs,
        stations=stations,
        counters=counters,
        errors=errors,
        messages=get_flashed_messages(with_categories=True),
    ), (400 if errors else 200)


@bp.post("/printers/jobs/<job_id>/reprint")
@staff_required("counter.work")
def reprint(job_id: str) -> Any:
    job = delivery.reprint(db(), job_id[:36])
    if job is None:
        return render(
            "office/message.html", title="Không có lệnh in", message="Không tìm thấy lệnh in này."
        ), 404
    flash(f"Đã gửi in lại: {job.title or job.kind}.", "ok")
    return redirect(url_for("office.printers"))
