"""Staff accounts, sign-in with a brake on guessing, API tokens, and what each role may do.

Roles are checked here, in the domain, so a view that forgets a check still cannot act: every
domain function that changes the queue takes the acting user and calls `require`.

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import ROLES, ApiToken, Branch, LoginFailure, Unit, User
from . import audit, units
from .clock import utcnow
from .text import TextRefused, clean_text

_hasher = PasswordHasher()

#: What each role may do. A role has its own rights and none of another's unless listed.
PERMISSIONS: dict[str, frozenset[str]] = {
    # payment.cash: record cash received for a dossier's fee; accounts.manage: the agencies'
    # bank accounts; payments.read: the reconciliation report.
    # agent.work: file for citizens and follow the dossiers of one's own branch, and no other.
    # dossier.hand_back: give a citizen the result and record who received it.
    # branch.supervise: one's own branch's reports, audit log, agents and cash hand-overs.
    "agent": frozenset({"payment.cash", "agent.work", "dossier.hand_back"}),
    "supervisor": frozenset(
        {"payment.cash", "agent.work", "dossier.hand_back", "branch.supervise"}
    ),
    # reports.read: the center's reports, service index and queue statistics, every unit.
    # sync.read: the province's sync, site by site (at the hub).
    # branches.manage: banks' branches and their people; audit.read: the whole audit log.
    # dossier.receive: accept a dossier at a counter; dossier.process: move it through its
    # lifecycle (process, ask for a supplement, resolve, return the result); dossier.read:
    # see every dossier of the site, its papers and its applicant.
    "officer": frozenset(
        {"counter.work", "dossier.receive", "dossier.read", "payment.cash", "dossier.hand_back"}
    ),
    "processor": frozenset({"dossier.process", "dossier.read"}),
    "manager": frozenset(
        {
            "counter.work",
            "queue.configure",
            "printers.manage",
            "dossier.receive",
            "dossier.process",
            "dossier.read",
            "payment.cash",
            "accounts.manage",
            "payments.read",
            "dossier.hand_back",
            "reports.read",
            "sync.read",
        }
    ),  # fmt: skip
    "admin": frozenset(
        {
            "counter.work",
            "queue.configure",
            "printers.manage",
            "users.manage",
            "branches.manage",
            "audit.read",
            "dossier.receive",
            "dossier.process",
            "dossier.read",
            "payment.cash",
            "accounts.manage",
            "payments.read",
            "dossier.hand_back",
            "reports.read",
            "sync.read",
        }
    ),  # fmt: skip
}

#: A manager confined to one unit (`User.unit_code`: a department's or a commune's head) reads
#: that unit's reports and nothing else of the center: not its dossiers, counters, money or
#: set-up, which are the whole center's.
UNIT_MANAGER = frozenset({"reports.read"})

#: Roles that belong to a bank branch, and roles that sign in with a second factor (TOTP).
BRANCH_ROLES = frozenset({"agent", "supervisor"})
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


class IdentityError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


class Forbidden(PermissionError):
    """The acting user's role does not allow this."""


def granted(user: User) -> frozenset[str]:
    """What `user`'s role grants them (a manager of one unit: `UNIT_MANAGER`)."""
    if user.role == "manager" and user.unit_code:
        return UNIT_MANAGER
    return PERMISSIONS.get(user.role, frozenset())


def require(user: User | None, permission: str) -> User:
    """`user` if its role grants `permission`, else Forbidden (with a Vietnamese message)."""
    if user is None or not user.active:
        raise Forbidden("Vui lòng đăng nhập.")
    if permission not in granted(user):
        raise Forbidden("Tài khoản của bạn không có quyền thực hiện việc này.")
    return user


def can(user: User | None, permission: str) -> bool:
    return user is not None and user.active and permission in granted(user)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    branch_code: str | None = None,
    unit_code: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    """A new account with an argon2 hash of `password`; IdentityError when it cannot be. An
    agent or supervisor belongs to a bank branch; the center's staff to none. A manager may be
    confined to one unit's reports (a department's or a commune's code, `kiosk.domain.units`).
    `must_change_password`: the password was chosen by someone else (a supervisor, the admin,
    the command line), so the account must choose its own at its first sign-in."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise IdentityError("Tên đăng nhập phải có 1–64 ký tự và không có khoảng trắng.")
    if role not in ROLES:
        raise IdentityError(f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(ROLES)}.")
    _check_length(password)
    branch = (branch_code or "").strip().upper() or None
    if role in BRANCH_ROLES and branch is None:
        raise IdentityError("Tài khoản đại lý hoặc kiểm soát viên cần chi nhánh (--branch).")
    if role not in BRANCH_ROLES and branch is not None:
        raise IdentityError("Chỉ tài khoản đại lý hoặc kiểm soát viên thuộc chi nhánh ngân hàng.")
    if branch is not None and session.get(Branch, branch) is None:
        raise IdentityError(f"Không có chi nhánh {branch}. Tạo bằng: kiosk branches create.")
    unit = unit_code.strip()
    if unit and role != "manager":
        raise IdentityError("Chỉ tài khoản quản lý (manager) gắn với một đơn vị (--unit).")
    if unit and units.name_of(unit) is None and session.get(Unit, unit) is None:
        raise IdentityError(f"Không có đơn vị {unit}: dùng mã sở, ngành (STP, CA…) hoặc mã xã.")
    try:  # printed on receipts as the officer or the agent
        full_name = clean_text(full_name, "Họ và tên")
    except TextRefused as exc:
        raise IdentityError(str(exc)) from exc
    user = User(
        username=username,
        full_name=full_name or username,
        role=role,
        password_hash=_hasher.hash(password),
        active=True,
        created_at=utcnow(),
        branch_code=branch,
        unit_code=unit,
        must_change_password=must_change_password,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise IdentityError(f"Tên đăng nhập {username} đã có người dùng.") from exc
    return user


def add_agent(
    session: Session, supervisor: User, username: str, password: str, full_name: str
) -> User:
    """A new agent of the supervisor's own branch (a supervisor adds agents, nothing else)."""
    require(supervisor, "branch.supervise")
    if not supervisor.branch_code:
        raise IdentityError("Tài khoản kiểm soát viên chưa thuộc chi nhánh nào.")
    user = create_user(session, username, password, "agent", full_name, supervisor.branch_code,
                       must_change_password=True)  # fmt: skip
    audit.record(session, supervisor, "user.create", branch=supervisor.branch_code,
                 detail=f"đại lý {user.username}")  # fmt: skip
    session.commit()
    return user


def team(session: Session, branch: str) -> list[User]:
    """A branch's accounts, supervisors first."""
    rows = session.scalars(select(User).where(User.branch_code == branch)).all()
    return sorted(rows, key=lambda u: (u.role != "supervisor", not u.active, u.username))


def set_active(session: Session, actor: User, user: User, active: bool) -> User:
    """Lock or unlock an account: an admin any other; a supervisor an agent of their branch."""
    if user.id == actor.id:
        raise IdentityError("Không tự khóa tài khoản của mình.")
    if not can(actor, "users.manage"):
        require(actor, "branch.supervise")
        if user.role != "agent" or user.branch_code != actor.branch_code:
            raise Forbidden("Chỉ khóa, mở tài khoản đại lý của chi nhánh mình.")
    _set_active(session, actor, user, active)
    return user


def set_active_by_operator(session: Session, user: User, active: bool) -> User:
    """Lock or unlock an account from the machine's command line (`kiosk users lock`), which
    answers to no role: whoever runs it already holds the database."""
    _set_active(session, None, user, active)
    return user


def _set_active(session: Session, actor: User | None, user: User, active: bool) -> None:
    user.active = active
    if not active:  # its sessions end now, and stay ended if it is unlocked later
        end_sessions(session, user)
    else:  # whoever unlocks it has checked who asks: the brakes of both steps start again
        session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    audit.record(session, actor, "user.unlock" if active else "user.lock",
                 branch=user.branch_code or "", detail=user.username)  # fmt: skip
    session.commit()


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
        _hasher.hash(password)
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
        user.password_hash = _hasher.hash(password)
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
    user.password_hash = _hasher.hash(new)
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
