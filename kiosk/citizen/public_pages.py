"""Public pages a citizen's phone opens from a QR code: a ticket's live status (`/t/<token>`)
and a dossier's status (`/d/<code>`, opened with the last four digits of the CCCD or phone)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from ..domain import dossiers, money, queue, ratings
from ..domain.clock import local, utcnow
from ..domain.dossiers import LABELS, DossierState
from ..models import Dossier
from ..qr import qr_svg
from ..view_helpers import db, elsewhere, render, site_tz
from . import public


@public.get("/t/<token>")
def ticket(token: str) -> Any:
    found = queue.find_ticket(db(), token)
    if found is None:
        return render("public/ticket.html", info=None, block="status"), 404
    info = queue.ticket_info(db(), found, tz=site_tz())
    return render(
        "public/ticket.html",
        "status",
        info=info,
        ticket=found,
        issued=local(found.issued_at, site_tz()),
        closed=not queue.is_open(found.service, utcnow(), site_tz()),
    )


@public.get("/t/")
def index() -> Any:
    return redirect(url_for("kiosk.home"))


# ---------------------------------------------------------------- a dossier's status


def check_status(code: str, fact: str) -> tuple[Dossier | None, str]:
    """The dossier if `fact` (last four digits of the CCCD or phone) proves the asker knows
    it, and the message to show otherwise. A wrong code and a wrong fact read the same, so
    codes cannot be enumerated; each try counts against the address's rate limit."""
    try:
        found = dossiers.open_for_citizen(
            db(), code, fact, asker=request.remote_addr or "",
            per_minute=int(current_app.config["STATUS_LOOKUPS_PER_MINUTE"]),
        )  # fmt: skip
    except dossiers.TooManyLookups:
        return None, _("Tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút.")
    if found is None:
        return None, NOT_FOUND()
    seen = [c for c in session.get("dossiers_seen", []) if c != found.code][-4:]
    session["dossiers_seen"] = [*seen, found.code]
    return found, ""


def NOT_FOUND() -> str:  # noqa: N802 - one message, translated per request
    return str(_("Không tìm thấy hồ sơ với mã và số xác minh này. Kiểm tra lại mã trên giấy "
                 "hẹn và 4 số cuối CCCD hoặc số điện thoại."))  # fmt: skip


def seen_before(code: str) -> Dossier | None:
    """The dossier, if this browser proved it knows it earlier in the session."""
    if code not in session.get("dossiers_seen", []):
        return None
    return dossiers.find(db(), code)


def status_context(found: Dossier) -> dict[str, Any]:
    tz = site_tz()
    progress = dossiers.progress(found, tz=tz)
    promised = local(p, tz) if (p := dossiers.promised(found)) else None
    read_only = elsewhere(found)  # another site's dossier at the province's hub: shown only
    return {
        "dossier": found,
        "steps": dossiers.timeline(found, tz, citizen=True),
        "label": LABELS[DossierState(found.status)],
        "progress": progress,
        "next_steps": dossiers.next_steps(
            found.status,
            promised.date() if promised else None,
            apologized=found.promised_at is not None,
            late=progress == "overdue",
        ),  # fmt: skip
        "promised": promised,
        "due": local(found.due_at, tz) if found.due_at else None,
        "received": local(found.received_at, tz),
        "rating": ratings.of_dossier(db(), found),
        "may_rate": ratings.may_rate(found) and not read_only,
        **(unpaid_qr(found) if not read_only else {}),
        "read_only": read_only,
        "scores": ratings.SCORES,
        "reasons": ratings.REASONS,
    }


def unpaid_qr(dossier: Dossier) -> dict[str, Any]:
    """The pending fee's VietQR code while one is owed and an account collects it (for the
    receipt screen and the status page); nothing otherwise."""
    if dossier.fee_vnd == 0 or money.due_amount(db(), dossier) == 0:
        return {}
    try:
        payment = money.open_payment(db(), dossier)
    except money.PaymentError:
        return {}
    if payment is None:
        return {}
    # The transfer's facts, to type or copy into a banking app on the phone showing the code.
    return {"fee_payment": payment, "fee_qr": qr_svg(payment.payload),
            "fee_account": money.payee(db(), payment)}  # fmt: skip


@public.route("/d/<code>", methods=["GET", "POST"])
def dossier_status(code: str) -> Any:
    found = seen_before(code)
    message = ""
    if found is None and request.method == "POST":
        found, message = check_status(code, request.form.get("verify", ""))
    if found is None:
        status = 404 if message else 200
        return render("public/dossier.html", code=code[:64], message=message), status
    return render("public/dossier.html", code=found.code, **status_context(found))


@public.post("/d/<code>/rating")
def rate_dossier(code: str) -> Any:
    found = seen_before(code)
    if found is None:
        return render("public/dossier.html", code=code[:64], message=NOT_FOUND()), 404
    if elsewhere(found):
        return render("public/dossier.html", code=found.code, **status_context(found)), 409
    source = request.form.get("source", "")
    source = source if source in ratings.SOURCES else "status_page"
    try:
        ratings.rate(
            db(), request.form.get("score", ""), request.form.getlist("reasons"),
            request.form.get("comment", ""), source=source, dossier=found,
        )  # fmt: skip
    except ratings.RatingError as exc:
        ctx = status_context(found)
        status = 409 if isinstance(exc, ratings.NoResultYet) else 400
        return render("public/dossier.html", code=found.code, rating_error=str(exc),
                      rating_source=source, **ctx), status  # fmt: skip
    flash(_("Cảm ơn ông/bà đã đánh giá!"), "ok")
    return redirect(url_for("public.dossier_status", code=found.code))


@public.get("/places/options")
def place_options() -> Any:
    """The communes of a province as `<option>`s, for the address pickers (htmx)."""
    province = next((v for k, v in request.args.items() if k.endswith("province")), "")[:2]
    from ..domain.places import in_province

    return render("public/_place_options.html", communes=in_province(province))
