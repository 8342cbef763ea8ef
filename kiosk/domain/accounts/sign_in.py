"""Signing in: passwords with a brake on guessing, the second factor (TOTP), sessions and API
tokens.

Passwords: argon2; an account whose password someone else set (`kiosk users create`, a
supervisor's or the admin's page, `kiosk users password`) must choose its own at the next
sign-in (`User.must_change_password`). The demo accounts and the tests' accounts, made by
`create_user` without that flag, are not asked to: the demo's passwords are published anyway
and production refuses to start while one still signs in (`published_accounts`).

Sessions end server-side when the account's `session_epoch` is raised: on sign-out, a password
change or reset, and a lock (`end_sessions`; `kiosk.auth` compares it on every request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ...models import ApiToken, LoginFailure, User
from ..clock import utcnow
from . import audit
from .roles import IdentityError

#: Passwords' argon2 hasher, at the library's defaults (RFC 9106's low-memory profile). Reached
#: through this module's name (`hash_password`), so that the tests alone can put a cheaper one in
#: its place (tests/conftest.py); no setting lowers it.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2 hash of `password` to store."""
    return _hasher.hash(password)


#: Roles that sign in with a second factor (TOTP).
TOTP_ROLES = frozenset({"supervisor", "admin"})
TOTP_ISSUER = "Kiosk mot cua"

#: Sign-in brake. Wrong passwords count per account *and* client address: MAX_FAILURES of
#: them within the window stop that address from trying that account for the window, while
#: the owner signing in from another address is not stopped, so a stranger cannot lock anyone
#: out. An address with MAX_ADDRESS_FAILURES failures over any accounts (one password tried
#: on many names) is stopped for the window as well.
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
FAILURE_WINDOW = dt.timedelta(minutes=15)
#: Wrong second-factor codes count per account, on their own: a right password does not clear
#: them. This many within the window lock the account's second step for the window; only
#: someone who knows the password reaches that step, so no stranger can cause it.
MAX_TOTP_FAILURES = 5
MIN_PASSWORD = 8
MAX_PASSWORD = 256

LOCKED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút hoặc liên hệ quản trị viên."
TOTP_LOCKED = (
    "Nhập sai mã xác thực quá nhiều lần: bước xác thực hai lớp của tài khoản tạm khóa 15 phút. "
    "Vui lòng thử lại sau hoặc liên hệ quản trị viên."
)


def authenticate(
    session: Session,
    username: str,
    password: str,
    remote_addr: str = "",
    now: dt.datetime | None = None,
) -> User:
    """The account if the password is right; IdentityError otherwise, or while locked.

    After MAX_FAILURES wrong passwords for this account from this client address within
    FAILURE_WINDOW, that address is refused every try, the right one included, until the window
    has passed; the same account from another address is not (see MAX_FAILURES).
    """
    now = now or utcnow()
    username = username.strip()[:64]
    if _password_locked(session, username, remote_addr, now):
        raise IdentityError(LOCKED)
    user = session.scalar(select(User).where(User.username == username))
    ok = False
    if user is not None and user.active:
        ok = _password_ok(user, password)
    else:
        # Spend the same time on an unknown name, so timing does not reveal which names exist.
        hash_password(password)
    if not ok or user is None:
        _failed(session, username, remote_addr, "password", now)
        raise IdentityError("Tên đăng nhập hoặc mật khẩu không đúng.")
    # This address's wrong passwords for this account are forgiven; nothing else is (another
    # address's, or the second factor's, which a right password must not clear).
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == username,
            LoginFailure.remote_addr == remote_addr[:64],
            LoginFailure.step == "password",
        )
    )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.commit()
    return user


def _password_ok(user: User, password: str) -> bool:
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _failures(session: Session, since: dt.datetime, step: str, **match: str) -> int:
    q = select(func.count()).select_from(LoginFailure)
    q = q.where(LoginFailure.step == step, LoginFailure.at > since)
    for column, value in match.items():
        q = q.where(getattr(LoginFailure, column) == value)
    return int(session.scalar(q) or 0)


def _password_locked(session: Session, username: str, remote_addr: str, now: dt.datetime) -> bool:
    """Whether `remote_addr` may not try a password for `username` now (see MAX_FAILURES)."""
    since, addr = now - FAILURE_WINDOW, remote_addr[:64]
    pair = _failures(session, since, "password", username=username, remote_addr=addr)
    return (
        pair >= MAX_FAILURES
        or _failures(session, since, "password", remote_addr=addr) >= MAX_ADDRESS_FAILURES
    )


def _check_length(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise IdentityError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > MAX_PASSWORD:
        raise IdentityError(f"Mật khẩu dài quá {MAX_PASSWORD} ký tự.")


def end_sessions(session: Session, user: User) -> None:
    """End every session of `user` (in the caller's transaction): its epoch moves on, and a
    session signed in under an older one is refused from the next request on."""
    session.execute(
        update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1)
    )


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    repeat: str,
    remote_addr: str = "",
    now: dt.datetime | None = None,
) -> User:
    """A staff member changes their own password: the current one is required (a wrong one
    counts as a failed sign-in), the new one is long enough, typed twice alike, and differs.
    Every session of the account ends; the caller signs the asking one in again."""
    now = now or utcnow()
    if _password_locked(session, user.username, remote_addr, now):
        raise IdentityError(LOCKED)
    if not _password_ok(user, current):
        _failed(session, user.username, remote_addr, "password", now)
        raise IdentityError("Mật khẩu hiện tại không đúng.")
    if new != repeat:
        raise IdentityError("Hai lần nhập mật khẩu mới không giống nhau.")
    _check_length(new)
    if new == current:
        raise IdentityError("Mật khẩu mới phải khác mật khẩu hiện tại.")
    if new.strip().casefold() == user.username.casefold():
        raise IdentityError("Mật khẩu không được trùng tên đăng nhập.")
    return _set_password(session, user, new, actor=user, forced=False, action="user.password")


def reset_password(session: Session, username: str, new: str) -> User:
    """Give `username` a new password from the command line (`kiosk users password`): its
    sessions end and it must choose its own at the next sign-in."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise IdentityError(f"Không có tài khoản {username}.")
    _check_length(new)
    return _set_password(session, user, new, actor=None, forced=True,
                         action="user.password_reset")  # fmt: skip


def _set_password(
    session: Session, user: User, new: str, *, actor: User | None, forced: bool, action: str
) -> User:
    """Store `new` (argon2), end every session of the account and audit it; `forced`: the
    account must choose its own at the next sign-in (someone else set this one)."""
    user.password_hash = hash_password(new)
    user.must_change_password = forced
    end_sessions(session, user)
    audit.record(session, actor, action, branch=user.branch_code or "", detail=user.username)
    session.commit()
    return user


def published_accounts(session: Session, known: Iterable[tuple[str, str]]) -> list[User]:
    """The active accounts that still sign in with a published password (`known`: name and
    password pairs, the demo's): what production must not start with."""
    found = []
    for name, password in known:
        user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
        if user is not None and _password_ok(user, password):
            found.append(user)
    return found


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, username: str) -> str:
    """A new API token for `username`, returned once; only its digest is kept."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise IdentityError(f"Không có tài khoản {username}. Tạo bằng: kiosk users create.")
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=_digest(token), created_at=utcnow()))
    session.commit()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active account behind a bearer token, or None."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or not row.user.active:
        return None
    return row.user


# ---------------------------------------------------------------- the second factor (TOTP)


def needs_totp(user: User) -> bool:
    return user.role in TOTP_ROLES


def start_totp(session: Session, user: User) -> tuple[str, str]:
    """A fresh secret for enrolling `user`'s authenticator app, and its otpauth:// address for
    the QR code. Shown once: asking again replaces it, so an old screen or photo is useless."""
    import pyotp

    if user.totp_enabled:
        raise IdentityError("Tài khoản đã bật xác thực hai lớp.")
    user.totp_secret = pyotp.random_base32()
    session.commit()
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return user.totp_secret, uri


def _totp_step(user: User, code: str, now: dt.datetime) -> int | None:
    """The time-step whose code `code` is (the current one or either neighbour, for clocks a
    little apart), or None."""
    import pyotp
    from pyotp.utils import strings_equal

    code = (code or "").strip().replace(" ", "")
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    current = int(totp.timecode(now.replace(tzinfo=dt.UTC)))
    for step in (current - 1, current, current + 1):
        if strings_equal(code, str(totp.generate_otp(step))):
            return step
    return None


def _second_factor(
    session: Session, user: User, code: str, remote_addr: str, now: dt.datetime | None,
    wrong: str = "Mã xác thực không đúng.",
) -> None:  # fmt: skip
    """Accept `code` once: IdentityError while the second step is locked, for a wrong code,
    and for a code whose time-step is not newer than the last one accepted (a replay), which
    count as failures of the second step."""
    now = now or utcnow()
    if _failures(session, now - FAILURE_WINDOW, "totp", username=user.username) >= (
        MAX_TOTP_FAILURES
    ):
        raise IdentityError(TOTP_LOCKED)
    step = _totp_step(user, code, now)
    if step is None:
        _failed(session, user.username, remote_addr, "totp", now)
        raise IdentityError(wrong)
    # One conditional write, so two requests racing with the same code cannot both pass.
    took = session.execute(
        update(User)
        .where(User.id == user.id, User.totp_last_step < step)
        .values(totp_last_step=step)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        _failed(session, user.username, remote_addr, "totp", now)
        raise IdentityError("Mã xác thực này đã được dùng. Vui lòng đợi mã mới trong ứng dụng.")
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == user.username, LoginFailure.step == "totp"
        )
    )


def confirm_totp(
    session: Session, user: User, code: str, remote_addr: str = "", now: dt.datetime | None = None
) -> None:
    """Turn the second factor on once the app shows the right code; IdentityError if not."""
    wrong = "Mã xác thực không đúng. Quét lại mã QR hoặc đợi mã mới."
    _second_factor(session, user, code, remote_addr, now, wrong=wrong)
    user.totp_enabled = True
    session.commit()


def check_totp(
    session: Session, user: User, code: str, remote_addr: str = "", now: dt.datetime | None = None
) -> None:
    """The second step of signing in: the code must be right and not used before; wrong codes
    count per account on their own and lock this step after MAX_TOTP_FAILURES."""
    _second_factor(session, user, code, remote_addr, now)
    session.commit()


def _failed(
    session: Session, username: str, remote_addr: str, step: str, now: dt.datetime | None = None
) -> None:
    session.add(LoginFailure(username=username[:64], remote_addr=remote_addr[:64],
                             at=now or utcnow(), step=step))  # fmt: skip
    session.commit()
