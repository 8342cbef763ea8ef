"""Who is asking: a signed-in staff member (session cookie) or another system (bearer token).

CSRF: every form and htmx request under the staff surfaces carries the session's token
(Flask-WTF checks it). The JSON API is exempt for bearer tokens, which a browser never sends
by itself; a browser session using the API must send the token in X-CSRFToken.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from flask import current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from .domain.identity import BRANCH_ROLES, TOTP_ROLES, can, user_for_token
from .models import User
from .web import db

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
        if user is not None and (not user.active or session.get("pw") != _fingerprint(user)):
            # Deactivated, or the password changed since this session signed in.
            session.clear()
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


def _fingerprint(user: User) -> str:
    """Changes when the password does; reveals nothing of the hash (the cookie is signed,
    not encrypted)."""
    return hashlib.sha256(b"session:" + user.password_hash.encode()).hexdigest()[:16]


def sign_in(user: User) -> None:
    """Start a fresh session for `user`, keeping nothing of the one before but the language."""
    lang = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    session["pw"] = _fingerprint(user)
    session["seen"] = int(time.time())
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.user = user


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


def sign_out() -> None:
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
    "CSRFError", "begin_second_step", "current_user", "second_step_user", "sign_in",
    "sign_out", "staff_required",
]  # fmt: skip
