"""Who is asking: a signed-in staff member (session cookie) or another system (bearer token).

Sessions are Flask's signed cookies, made endable on the server by one number per account,
`User.session_epoch`: a session records the epoch it was signed in under, and every request
compares it with the account's (on the row already read to know who is asking). Signing out,
changing or resetting the password and locking the account raise the epoch, so every copy of
every cookie of that account stops working at once. This is the simplest sound design: no
session table to write on each request or to sweep, nothing to forget to delete. Its price:
signing out on one screen signs the account out on its others too, which for staff who leave
a desk is the safer reading. API bearer tokens are separate and unaffected.

An account whose password someone else set (`User.must_change_password`) is signed in, but
every staff page sends it to the password page first (`password_change_gate`).

CSRF: every form and htmx request under the staff surfaces carries the session's token
(Flask-WTF checks it). The JSON API is exempt for bearer tokens, which a browser never sends
by itself; a browser session using the API must send the token in X-CSRFToken.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from flask import current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms.validators import ValidationError

from .domain.accounts import BRANCH_ROLES, TOTP_ROLES, can, end_sessions, user_for_token
from .domain.dossiers import drafts
from .models import User
from .view_helpers import db, draft_folder

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


def current_user() -> User | None:
    """The acting account for this request, or None."""
    if "user" in g:
        return cast(User | None, g.user)
    user: User | None = None
    token = bearer_token()
    if token is not None:
        user = user_for_token(db(), token)
    elif (uid := session.get("user_id")) is not None:
        user = db().get(User, uid)
        if user is not None and (not user.active or session.get("epoch") != user.session_epoch):
            # Locked, or ended since it signed in (sign-out, password change): see the top.
            sign_out()
            user = None
        elif user is not None and user.role in IDLE_ROLES and _idle_too_long():
            sign_out()
            user = None
        else:
            session["seen"] = int(time.time())
    g.user = user
    return user


#: Accounts whose sessions end when left unused (a bank's desk, the admin); a counter's screen
#: stays signed in all day.
IDLE_ROLES = BRANCH_ROLES | TOTP_ROLES


def _idle_too_long() -> bool:
    """Whether this session went unused longer than SESSION_IDLE_MINUTES (it then ends)."""
    idle = float(current_app.config.get("SESSION_IDLE_MINUTES") or 0) * 60
    seen = session.get("seen")
    return bool(idle) and (not isinstance(seen, int) or time.time() - seen > idle)


def sign_in(user: User) -> None:
    """Start a fresh session for `user`, keeping nothing of the one before but the language."""
    lang = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["seen"] = int(time.time())
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.user = user


#: The session's keys that say who is signed in (and the second step under way): a citizen's
#: idle reset at the kiosk leaves them, so that a page elsewhere cannot sign staff out by
#: pointing at `/kiosk/reset`.
SIGN_IN_KEYS = ("user_id", "epoch", "seen", "totp_user", "totp_at")


def forget_citizen() -> None:
    """Forget everything a citizen left in the session (language, dossiers seen, uploads,
    payments, the filing being typed and its draft on the server), and nothing of a staff
    member's sign-in."""
    if session.get("draft"):
        drafts.discard(draft_folder(), str(session["draft"]))
    kept = {k: session[k] for k in SIGN_IN_KEYS if k in session}
    session.clear()
    session.update(kept)


#: How long the second step of signing in (the TOTP code) may wait for the first.
SECOND_STEP_SECONDS = 300


def begin_second_step(user: User) -> None:
    """The password was right; the TOTP code is still to come. Nothing is signed in yet."""
    lang = session.get("lang")
    session.clear()
    session["totp_user"] = user.id
    session["totp_at"] = int(time.time())
    if lang:
        session["lang"] = lang


def second_step_user() -> User | None:
    """The account waiting for its TOTP code, if the password was given in the last 5 minutes."""
    uid, at = session.get("totp_user"), session.get("totp_at")
    if not isinstance(uid, int) or not isinstance(at, int):
        return None
    if time.time() - at > SECOND_STEP_SECONDS:
        session.pop("totp_user", None)
        return None
    user = db().get(User, uid)
    return user if user is not None and user.active else None


def sign_out(everywhere: bool = False) -> None:
    """End this browser's session; `everywhere` (the sign-out button) ends every session of
    the account on the server too, so a copy of the cookie is worth nothing."""
    user = current_user() if everywhere else None
    if user is not None and bearer_token() is None:
        end_sessions(db(), user)
        db().commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.user = None


def check_api_csrf() -> None:
    """For a cookie-authenticated API write: the CSRF token must come in X-CSRFToken."""
    if bearer_token() is None and request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc


#: Pages an account that must change its password may still open.
PASSWORD_FREE = frozenset(
    {"office.login", "office.login_totp", "office.logout", "office.password", "static"}
)
#: The blueprints whose pages are staff pages (and the API, for a browser's session).
GATED = frozenset({"office", "agent_portal", "api"})


def password_change_gate() -> WerkzeugResponse | tuple[Any, int] | None:
    """Before any staff page: an account whose password someone else set is sent to choose its
    own (the API, for a browser's session, answers 403); a bearer token is not asked."""
    if request.blueprint not in GATED or request.endpoint in PASSWORD_FREE:
        return None
    if bearer_token() is not None or session.get("user_id") is None:
        return None
    user = current_user()
    if user is None or not user.must_change_password:
        return None
    if request.blueprint == "api":
        from .site_wide import api_error

        return api_error(403, "password_change_required",
                         "Vui lòng đổi mật khẩu trước khi tiếp tục.")  # fmt: skip
    target = request.full_path.rstrip("?")
    return redirect(url_for("office.password") + "?" + urlencode({"next": target}))


def staff_required(permission: str) -> Callable[[F], F]:
    """Pages for staff: sign in first; then the role must grant `permission`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                target = request.full_path.rstrip("?")
                return redirect(url_for("office.login") + "?" + urlencode({"next": target}))
            if not can(user, permission):
                from flask import abort

                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


__all__ = [
    "CSRFError", "begin_second_step", "current_user", "password_change_gate",
    "second_step_user", "sign_in", "sign_out", "staff_required",
]  # fmt: skip
