"""The office surface (/office): sign-in, counters, displays, and the manager's set-up."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth import (
    begin_second_step,
    current_user,
    second_step_user,
    sign_in,
    sign_out,
)
from ..domain import outbox, queue
from ..domain.accounts import (
    MIN_PASSWORD,
    Forbidden,
    IdentityError,
    authenticate,
    can,
    change_password,
    check_totp,
    confirm_totp,
    needs_totp,
    start_totp,
)
from ..domain.clock import local
from ..qr import qr_svg
from ..view_helpers import db, safe_next, site_tz

bp = Blueprint("office", __name__, url_prefix="/office")


@bp.app_context_processor
def office_globals() -> dict[str, Any]:
    return {"current_user": current_user, "can": lambda p: can(current_user(), p)}


@bp.errorhandler(Forbidden)
def forbidden(exc: Forbidden) -> tuple[str, int]:
    return render_template("office/message.html", title="Không có quyền", message=str(exc)), 403


@bp.errorhandler(403)
def forbidden_page(_exc: Exception) -> tuple[str, int]:
    return (
        render_template(
            "office/message.html",
            title="Không có quyền",
            message="Tài khoản của bạn không có quyền mở trang này.",
        ),
        403,
    )


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("office.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        try:
            user = authenticate(
                db(), username, request.form.get("password", "")[:256], request.remote_addr or ""
            )
        except IdentityError as exc:
            error = str(exc)
        else:
            if needs_totp(user):  # supervisors and admins: a second factor
                begin_second_step(user)
                return redirect(url_for("office.login_totp", next=request.args.get("next")))
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    # Titled by the surface that sent here: bank agents are not officers.
    agent = _safe_next(request.args.get("next")).startswith("/agent/")
    # Its brand link leads back to that surface too.
    home = url_for("agent_portal.index" if agent else "office.index")
    page = render_template(
        "office/login.html", error=error, username=username, agent=agent, home_url=home
    )
    return page, status


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Any:
    """The second step: the authenticator app's code; the first time, its enrolment QR code,
    shown once (coming back makes a new secret, so no earlier screen or photo can be used)."""
    user = second_step_user()
    if user is None:
        return redirect(url_for("office.login", next=request.args.get("next")))
    error = ""
    if request.method == "POST":
        code = request.form.get("code", "")[:16]
        try:
            if user.totp_enabled:
                check_totp(db(), user, code, request.remote_addr or "")
            else:
                confirm_totp(db(), user, code, request.remote_addr or "")
        except IdentityError as exc:
            error = str(exc)
        else:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")))
    secret, qr = "", None
    if not user.totp_enabled and (request.method == "GET" or not user.totp_secret):
        secret, uri = start_totp(db(), user)
        qr = qr_svg(uri)
    status = 401 if error else 200
    return render_template(
        "office/totp.html", user=user, error=error, secret=secret, qr=qr,
        enrolling=not user.totp_enabled,
    ), status  # fmt: skip


@bp.post("/logout")
def logout() -> WerkzeugResponse:
    """Sign out, on the server too: every copy of this account's session cookie stops
    working (`kiosk.auth`)."""
    sign_out(everywhere=True)
    return redirect(url_for("office.login"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    """A staff member changes their own password (any role, the agents' too): the current one,
    the new one twice. Every other session of the account ends; this one goes on. An account
    whose password someone else set is sent here before any other page (`kiosk.auth`)."""
    user = current_user()
    if user is None:
        return redirect(url_for("office.login", next=request.full_path.rstrip("?")))
    error = ""
    if request.method == "POST":
        f = request.form
        try:
            change_password(
                db(), user, f.get("current", "")[:300], f.get("new", "")[:300],
                f.get("repeat", "")[:300], request.remote_addr or "",
            )  # fmt: skip
        except IdentityError as exc:
            error = str(exc)
        else:
            sign_in(user)  # under the new epoch: this session stays, the others end
            return redirect(url_for("office.password", done=1, next=request.args.get("next")), 303)
    return render_template(
        "office/password.html", user=user, error=error, forced=user.must_change_password,
        done=request.method == "GET" and request.args.get("done") == "1",
        next_url=_safe_next(request.args.get("next")), min_length=MIN_PASSWORD,
    ), (400 if error else 200)  # fmt: skip


@bp.get("/")
def index() -> Any:
    """Where signing in lands: each account on its own work."""
    user = current_user()
    if user is None:
        return redirect(url_for("office.login"))
    if can(user, "agent.work"):  # a bank branch's agent: the branch's dossiers
        return redirect(url_for("agent_portal.worklist"))
    if not can(user, "counter.work"):
        if can(user, "dossier.read"):  # a processing officer: straight to the work
            return redirect(url_for("office.dossier_list"))
        if can(user, "reports.read"):  # a manager of one unit: their reports
            return redirect(url_for("office.reports"))
        abort(403)
    sync = None
    if can(user, "sync.read"):  # the site's own sync to the province, for its manager
        sent = outbox.last_sent(db())
        sync = {
            "backlog": outbox.backlog(db()),
            "last_sent": local(sent, site_tz()) if sent else None,
            "linked": bool(current_app.config.get("NATS_URL")),
        }
    return render_template(
        "office/index.html",
        counters=queue.counters(db()),
        services=queue.services(db()),
        sync=sync,
    )


from . import branches, calendar, counter, display, dossiers, payments, reports, setup  # noqa: E402,F401 - register their routes on `bp`
