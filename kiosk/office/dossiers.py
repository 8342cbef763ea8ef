"""Dossiers in the office: *Tiếp nhận hồ sơ* at a counter from the called ticket, the
processing officers' worklist (overdue and due-soon first), a dossier's page with its papers,
moves, apology (form 04) and digitized result, the staff's uploads, and the counter's tablet
on which the citizen rates the visit after the call ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from .. import dossier_form
from ..auth import current_user, staff_required
from ..domain import catalog, dossiers, idempotency, money, queue, ratings
from ..domain.accounts import Forbidden, audit, can
from ..domain.catalog import forms
from ..domain.clock import local, utcnow
from ..domain.dossiers import (
    LABELS,
    DossierState,
    FeeOwed,
    HandBackInvalid,
    TransitionRefused,
    uploads,
)
from ..domain.dossiers import states as dossier_states
from ..models import Counter, Dossier, Rating, Ticket, Upload, User
from ..view_helpers import db, elsewhere, render, site_tz, upload_folder, upload_limits
from . import bp

SOON = dt.timedelta(days=2)
#: Rows the worklist shows: the most urgent come first, the rest are a filter or a page away.
SHOWN = 300


def _me() -> User:
    user = current_user()
    assert isinstance(user, User)
    return user


def _owner() -> str:
    return f"user:{_me().id}"


def _thumb_url(upload_id: str) -> str:
    return url_for("office.upload_thumb", upload_id=upload_id)


def _counter_and_ticket(counter_id: int) -> tuple[Counter, Ticket | None]:
    try:
        counter = queue.get_counter(db(), counter_id)
    except queue.QueueError:
        abort(404)
    return counter, queue.current_ticket(db(), counter)


# ---------------------------------------------------------------- Tiếp nhận hồ sơ


@bp.get("/counters/<id:counter_id>/receive")
@staff_required("dossier.receive")
def receive_pick(counter_id: int) -> Any:
    counter, ticket = _counter_and_ticket(counter_id)
    if ticket is not None and ticket.procedure_code and not request.args.get("q"):
        return redirect(
            url_for("office.receive_form", counter_id=counter_id, code=ticket.procedure_code)
        )
    q = request.args.get("q", "")[:200]
    found = catalog.search(db(), q, limit=30).items if q else []
    return render("office/receive_pick.html", counter=counter, ticket=ticket, q=q, found=found)


def _receive_page(counter: Counter, ticket: Ticket | None, proc: Any, **kw: Any) -> Any:
    values = kw.pop("values", None)
    posted = dossier_form.read(values, proc) if values else None
    ctx = dossier_form.form_context(
        proc,
        values,
        reusable=dossier_form.reusable_for(db(), posted, _me()),
        fee_channel="truc_tiep",
        **kw,
    )
    return render(
        "office/receive.html",
        counter=counter,
        ticket=ticket,
        upload_url=url_for("office.upload"),
        thumb_url=_thumb_url,
        **ctx,
    )


@bp.get("/counters/<id:counter_id>/receive/<code>")
@staff_required("dossier.receive")
def receive_form(counter_id: int, code: str) -> Any:
    counter, ticket = _counter_and_ticket(counter_id)
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None:
        abort(404)
    return _receive_page(counter, ticket, proc)


@bp.post("/counters/<id:counter_id>/receive/<code>/scan")
@staff_required("dossier.receive")
def receive_scan(counter_id: int, code: str) -> Any:
    counter, ticket = _counter_and_ticket(counter_id)
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None:
        abort(404)
    values = MultiDict(request.form)
    result = dossier_form.scan(request.form.get("scan", ""), proc)
    for key, value in result.values.items():
        values[key] = value
    return _receive_page(
        counter, ticket, proc, values=values, scan_message=result.message, scan_ok=result.ok
    )


@bp.post("/counters/<id:counter_id>/receive/<code>")
@staff_required("dossier.receive")
def receive_submit(counter_id: int, code: str) -> Any:
    counter, ticket = _counter_and_ticket(counter_id)
    proc = catalog.get_procedure(db(), code[:32])
    if proc is None:
        abort(404)
    posted = dossier_form.read(MultiDict(request.form), proc)
    errors = dict(posted.errors)
    errors.update(dossier_form.reuse_consented(db(), posted, proc, _owner(), _me()))
    if errors:
        return _receive_page(counter, ticket, proc, values=posted.values, errors=errors), 422
    papers = dossiers.Papers(
        files=tuple(posted.wanted), on_paper=tuple(posted.on_paper), owner=_owner(),
        limits=upload_limits(), staff=True,
    )  # fmt: skip
    printer = dossier_form.counter_printer(counter.printer_url, counter.printer_profile)
    try:
        got = dossiers.receive(
            db(), proc, posted.applicant, channel="direct",
            site_code=current_app.config["SITE_CODE"], fields=posted.fields, papers=papers,
            actor=_me(), ticket_id=ticket.id if ticket else None,
            idempotency_key=request.form.get("idempotency_key", "")[:64] or None,
            tz=site_tz(), print_on=dossier_form.receipt_print(printer), fee_rule=posted.fee_rule,
        )  # fmt: skip
    except idempotency.Conflict:
        values, errors = dossier_form.used_key(posted.values)
        return _receive_page(counter, ticket, proc, values=values, errors=errors), 409
    except dossiers.DossierError as exc:
        return _receive_page(counter, ticket, proc, values=posted.values, errors=exc.errors), 422
    flash(f"Đã tiếp nhận hồ sơ {got.dossier.code}; giấy hẹn đang in ở máy in của quầy.", "ok")
    return redirect(url_for("office.dossier_page", code=got.dossier.code, counter=counter.id), 303)


# ---------------------------------------------------------------- the worklist


def _row(d: Dossier, now: dt.datetime) -> dict[str, Any]:
    tz = site_tz()
    due = dossiers.promised(d)
    state = dossiers.progress(d, now, tz)
    soon = state == "within" and due is not None and due < now + SOON
    return {
        "d": d,
        "label": LABELS[DossierState(d.status)],
        "due": local(due, tz) if due else None,
        "progress": "soon" if soon else state,
    }


@bp.get("/dossiers")
@staff_required("dossier.read")
def dossier_list() -> Any:
    now = utcnow()
    show = request.args.get("show", "")
    show = show if show in ("overdue", "soon") else ""
    q = " ".join(request.args.get("q", "").split())[:100]
    if q:
        found = dossiers.search(db(), q, limit=SHOWN)
        rows, total = [_row(d, now) for d in found], len(found)
    else:
        rows = [_row(d, now) for d in dossiers.worklist(db(), now, SOON, show=show, limit=SHOWN)]
        total = dossiers.worklist_size(db(), now, SOON, show=show)
    return render("office/dossiers.html", rows=rows, total=total, show=show, q=q)


# ---------------------------------------------------------------- one dossier


def _read_only(d: Dossier) -> Any:
    """Another site's dossier at the province's hub: back to its page, which says why; None
    for this site's own."""
    why = elsewhere(d)
    if not why:
        return None
    flash(why, "error")
    return redirect(url_for("office.dossier_page", code=d.code), 303)


def _find(code: str) -> Dossier:
    """The dossier as every page finds it (`dossiers.visible`); 404 otherwise."""
    found = dossiers.visible(db(), _me(), code[:64])
    if found is None:
        abort(404)
    return found


@bp.get("/dossiers/<code>")
@staff_required("dossier.read")
def dossier_page(code: str) -> Any:
    return _dossier_page(_find(code))


def _dossier_page(d: Dossier, **hand_back_form: Any) -> Any:
    """The dossier's page; `hand_back_form` (`hb_errors`, `hb_values`) brings a refused
    hand-back back with its messages beside the fields and what was typed."""
    audit.record(db(), _me(), "dossier.view", dossier=d.code)  # every read of a citizen's data
    db().commit()
    tz = site_tz()
    papers = (
        db()
        .scalars(select(Upload).where(Upload.dossier_id == d.id).order_by(Upload.created_at))
        .all()
    )
    proc = catalog.get_procedure(db(), d.procedure_code)
    form = {f.name: f for f in catalog.form_of(proc)} if proc is not None else {}
    fields = current_app.json.loads(d.fields or "{}")
    fee = money.fee_state(db(), d)
    owed = fee.owed
    accepted = any(ev.to_status == DossierState.ACCEPTED for ev in d.events)
    moves = dossier_states.moves_now(d.status, fee_owed=owed, accepted_before=accepted)
    read_only = elsewhere(d)  # another site's dossier at the hub: shown, nothing offered
    mine = [] if read_only else [m for m in moves if _may_move(d.status, m.to)]
    on_paper = current_app.json.loads(d.on_paper or "[]")
    return render(
        "office/dossier.html",
        d=d,
        row=_row(d, utcnow()),
        steps=dossiers.timeline(d, tz),
        papers=papers,
        fields=[
            (form[k].label if k in form else k, forms_describe(v, form.get(k)))
            for k, v in fields.items()
        ],  # fmt: skip
        address=forms.address_text(current_app.json.loads(d.applicant_address or "{}")),
        moves=[m for m in mine if m.to != DossierState.RESOLVED],
        resolve=next((m for m in mine if m.to == DossierState.RESOLVED), None),
        reason_needed=[m.label for m in mine if m.needs_reason],
        whose_move="" if read_only else _nobody_here(d, moves, mine),
        on_paper=on_paper,
        filed_by=_filed_by(d),
        hand_back_place=dossiers.place_name(db(), dossiers.hand_back_place(d)),
        can_hand_back=can(_me(), "dossier.hand_back") and not read_only,
        id_kinds=dossiers.ID_KINDS,
        counter=_my_counter(),
        can_process=can(_me(), "dossier.process") and not read_only,
        rating=ratings.of_dossier(db(), d),
        scores=ratings.SCORES,
        received=local(d.received_at, tz),
        messages=get_flashed_messages(with_categories=True),
        thumb_url=_thumb_url,
        today=local(utcnow(), tz).date(),
        owed=owed,
        fee_payments=fee.settled,
        can_refund=can(_me(), "payments.read") and not read_only,
        can_cash=can(_me(), "payment.cash") and not read_only,
        read_only=read_only,
        **hand_back_form,
    )


def _may_move(current: str, to: str) -> bool:
    """Whether the signed-in officer may make this move (`states.permissions_for`)."""
    return any(can(_me(), p) for p in dossier_states.permissions_for(current, to))


def _nobody_here(d: Dossier, moves: list[Any], mine: list[Any]) -> str:
    """Who takes the dossier on, said plainly when the signed-in officer has no move of their
    own on it (never a page without a next step)."""
    if mine or not moves:
        return ""
    if d.status == DossierState.REGISTERED:
        return str(
            gettext(
                "Hồ sơ nộp trực tuyến hoặc qua đại lý, chờ tiếp nhận: cán bộ tiếp nhận (một cửa) "
                "hoặc cán bộ xử lý hồ sơ kiểm tra và tiếp nhận. Tài khoản của bạn chỉ xem được hồ "
                "sơ này."
            )
        )
    return str(
        gettext(
            "Bước tiếp theo do cán bộ xử lý hồ sơ (hoặc quản lý) thực hiện; tài khoản của bạn chỉ "
            "xem được hồ sơ này. Khi có kết quả, cán bộ một cửa trả kết quả cho công dân."
        )
    )


def _filed_by(d: Dossier) -> str:
    """Who filed the dossier, in words: an agent and their branch, a counter officer, or the
    citizen online."""
    if d.branch_code:
        agent = db().get(User, d.agent_id) if d.agent_id else None
        place = dossiers.place_name(db(), f"branch:{d.branch_code}")
        if agent is None:
            return str(gettext("Đại lý (%(place)s)", place=place))
        return str(gettext("Đại lý %(name)s (%(place)s)", name=agent.full_name, place=place))
    if d.received_by_id:
        officer = db().get(User, d.received_by_id)
        if officer is None:
            return str(gettext("Cán bộ tiếp nhận tại quầy"))
        return str(gettext("Cán bộ %(name)s tiếp nhận tại quầy", name=officer.full_name))
    return str(gettext("Công dân tự nộp trực tuyến (kiosk, cổng dịch vụ công)"))


def _my_counter() -> Counter | None:
    """The counter the signed-in officer works at now, if any."""
    return db().scalar(
        select(Counter).where(Counter.officer_id == _me().id, Counter.active.is_(True))
        .order_by(Counter.number).limit(1)
    )  # fmt: skip


def forms_describe(value: Any, field: Any) -> str:
    return forms.describe(value, field) if field is not None else str(value)


@bp.post("/dossiers/<code>/move")
@staff_required("dossier.read")
def dossier_move(code: str) -> Any:
    d = _find(code)
    if refused := _read_only(d):
        return refused
    to = request.form.get("to", "")[:32]
    if not _may_move(d.status, to):
        abort(403)
    reason = request.form.get("reason", "")[:2001]
    result = None
    if to == DossierState.RESOLVED:
        if "file" not in request.files or not request.files["file"].filename:
            flash("Đính kèm kết quả đã số hóa (tệp PDF hoặc ảnh) trước khi chuyển 'Đã có kết quả'.",
                  "error")  # fmt: skip
            return redirect(url_for("office.dossier_page", code=d.code), 303)
        try:
            result = dossier_form.store_request_file(_owner())
        except uploads.UploadRefused as exc:
            flash(str(exc), "error")
            return redirect(url_for("office.dossier_page", code=d.code), 303)
    try:
        dossiers.move(db(), d, to, _me(), reason, tz=site_tz(), result=result)
    except (TransitionRefused, Forbidden) as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã chuyển hồ sơ sang “{LABELS[DossierState(d.status)]}”.", "ok")
    return redirect(url_for("office.dossier_page", code=d.code), 303)


@bp.post("/dossiers/<code>/hand-back")
@staff_required("dossier.read")
def dossier_hand_back(code: str) -> Any:
    """The result handed to the citizen at the center: who received it, which ID was checked;
    an agent's dossier only when the citizen came to the center. (Agents hand back in their
    own portal.)"""
    if not can(_me(), "dossier.hand_back"):
        abort(403)
    d = _find(code)
    if refused := _read_only(d):
        return refused
    try:
        dossiers.hand_back(
            db(), d, _me(), request.form.get("receiver", "")[:256],
            request.form.get("id_checked", "")[:32], id_kind=request.form.get("id_kind", "")[:16],
            at_center=request.form.get("at_center") == "on",
        )  # fmt: skip
    except HandBackInvalid as exc:
        return _dossier_page(d, hb_errors=exc.errors, hb_values=request.form), 422
    except FeeOwed as exc:  # the hand-back's card says it, with the way to collect the fee
        return _dossier_page(d, hb_errors={"fee": str(exc)}, hb_values=request.form), 422
    except TransitionRefused as exc:
        if d.status != DossierState.RESOLVED:  # already handed back, or not resolved yet
            flash(str(exc), "error")
            return redirect(url_for("office.dossier_page", code=d.code), 303)
        field = "place" if d.branch_code else ""
        return _dossier_page(d, hb_errors={field: str(exc)}, hb_values=request.form), 422
    else:
        flash(f"Đã trả kết quả hồ sơ {d.code}.", "ok")
    return redirect(url_for("office.dossier_page", code=d.code), 303)


@bp.post("/dossiers/<code>/apology")
@staff_required("dossier.process")
def dossier_apology(code: str) -> Any:
    d = _find(code)
    if refused := _read_only(d):
        return refused
    new_date = forms.parse_date(request.form.get("new_date", "")[:10])
    if new_date is None:
        flash("Ghi ngày hẹn mới dạng ngày/tháng/năm, ví dụ 25/12/2026.", "error")
        return redirect(url_for("office.dossier_page", code=d.code), 303)
    printer = dossier_form.desk_printer(_me())
    try:
        dossiers.apologize(
            db(), d, _me(), new_date, request.form.get("reason", "")[:1001], tz=site_tz(),
            print_on=dossier_form.receipt_print(printer),
        )  # fmt: skip
    except (TransitionRefused, Forbidden) as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã lập phiếu xin lỗi, hẹn lại ngày {new_date.strftime('%d/%m/%Y')}; "
              "phiếu đang in.", "ok")  # fmt: skip
    return redirect(url_for("office.dossier_page", code=d.code), 303)


# ---------------------------------------------------------------- staff uploads


@bp.post("/uploads")
@staff_required("dossier.receive")
def upload() -> Any:
    try:
        up = dossier_form.store_request_file(_owner())
    except uploads.UploadRefused as exc:
        return jsonify({"error": {"code": "upload_refused", "message": str(exc)}}), exc.status
    return jsonify({"id": up.id, "pages": up.pages, "thumb": _thumb_url(up.id)}), 201


def _visible(upload_id: str) -> Upload:
    up = uploads.get(db(), upload_id)
    if up is None or not uploads.may_see(up, _owner(), staff=can(_me(), "dossier.read")):
        abort(404)
    if not up.stored_name:  # another site's paper at the hub: its file stays at its site
        abort(404)
    return up


@bp.get("/uploads/<upload_id>/thumb")
@staff_required("dossier.read")
def upload_thumb(upload_id: str) -> Any:
    png = uploads.thumbnail(upload_folder(), _visible(upload_id))
    return current_app.response_class(png, mimetype="image/png")


@bp.get("/uploads/<upload_id>/file")
@staff_required("dossier.read")
def upload_file(upload_id: str) -> Any:
    from flask import send_file

    up = _visible(upload_id)
    dossier = db().get(Dossier, up.dossier_id) if up.dossier_id else None
    audit.record(db(), _me(), "upload.view", dossier=dossier.code if dossier else "",
                 detail=up.document_name)  # fmt: skip
    db().commit()
    ext = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[up.media_type]
    resp = send_file(
        uploads.path_of(upload_folder(), up), mimetype=up.media_type,
        download_name=f"{up.document_name or 'tep'}{ext}"[:120], conditional=True,
    )  # fmt: skip
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


# ---------------------------------------------------------------- the counter's tablet


def _last_visit(counter: Counter) -> Ticket | None:
    """The ticket this counter finished last, within the last 10 minutes."""
    since = utcnow() - dt.timedelta(minutes=10)
    return db().scalar(
        select(Ticket)
        .where(Ticket.counter_id == counter.id, Ticket.finished_at >= since)
        .order_by(Ticket.finished_at.desc())
        .limit(1)
    )


@bp.route("/counters/<id:counter_id>/tablet", methods=["GET", "POST"])
@staff_required("counter.work")
def counter_tablet(counter_id: int) -> Any:
    """The tablet facing the citizen: after the call ends, rate the visit 1-5."""
    counter, _ = _counter_and_ticket(counter_id)
    visit = _last_visit(counter)
    done = False
    error = ""
    if request.method == "POST" and visit is not None:
        try:
            ratings.rate(db(), request.form.get("score", ""), request.form.getlist("reasons"),
                         source="counter", ticket=visit)  # fmt: skip
            done = True
        except ratings.RatingError as exc:
            error = str(exc)
    rated = visit is not None and db().scalar(select(Rating.id).where(Rating.ticket_id == visit.id))
    return render(
        "office/tablet.html", "tablet", counter=counter, visit=visit, rated=bool(rated),
        done=done, error=error, scores=ratings.SCORES, reasons=ratings.REASONS,
    )  # fmt: skip
