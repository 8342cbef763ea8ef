"""Staff accounts, sign-in with a brake on guessing, API tokens, and what each role may do.

Roles are checked here, in the domain, so a view that forgets a check still cannot act: every
domain function that changes the queue takes the acting user and calls `require`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
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

#: Sign-in brake: this many failures for one account within the window lock it for the window.
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 8


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
) -> User:
    """A new account with an argon2 hash of `password`; IdentityError when it cannot be. An
    agent or supervisor belongs to a bank branch; the center's staff to none. A manager may be
    confined to one unit's reports (a department's or a commune's code, `kiosk.domain.units`)."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise IdentityError("Tên đăng nhập phải có 1–64 ký tự và không có khoảng trắng.")
    if role not in ROLES:
        raise IdentityError(f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise IdentityError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
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
    user = create_user(session, username, password, "agent", full_name, supervisor.branch_code)
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
    user.active = active
    audit.record(session, actor, "user.unlock" if active else "user.lock",
                 branch=user.branch_code or "", detail=user.username)  # fmt: skip
    session.commit()
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    remote_addr: str = "",
    now: dt.datetime | None = None,
) -> User:
    """The account if the password is right; IdentityError otherwise, or while locked.

    After MAX_FAILURES wrong passwords within FAILURE_WINDOW the account refuses every try,
    the right one included, until the window has passed.
    """
    now = now or utcnow()
    username = username.strip()
    since = now - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.at > since)
    )
    if (failures or 0) >= MAX_FAILURES:
        raise IdentityError(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút hoặc liên hệ quản trị viên."
        )
    user = session.scalar(select(User).where(User.username == username))
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        # Spend the same time on an unknown name, so timing does not reveal which names exist.
        _hasher.hash(password)
    if not ok or user is None:
        session.add(LoginFailure(username=username[:64], remote_addr=remote_addr[:64], at=now))
        session.commit()
        raise IdentityError("Tên đăng nhập hoặc mật khẩu không đúng.")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.commit()
    return user


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


def _totp_ok(user: User, code: str) -> bool:
    import pyotp

    code = (code or "").strip().replace(" ", "")
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    return bool(pyotp.TOTP(user.totp_secret).verify(code, valid_window=1))


def confirm_totp(session: Session, user: User, code: str, remote_addr: str = "") -> None:
    """Turn the second factor on once the app shows the right code; IdentityError if not."""
    if not _totp_ok(user, code):
        _failed(session, user.username, remote_addr)
        raise IdentityError("Mã xác thực không đúng. Quét lại mã QR hoặc đợi mã mới.")
    user.totp_enabled = True
    session.commit()


def check_totp(session: Session, user: User, code: str, remote_addr: str = "") -> None:
    """The second step of signing in. A wrong code counts as a failed sign-in (the same
    brake as passwords); IdentityError says so."""
    since = utcnow() - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == user.username, LoginFailure.at > since)
    )
    if (failures or 0) >= MAX_FAILURES:
        raise IdentityError(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút hoặc liên hệ quản trị viên."
        )
    if not _totp_ok(user, code):
        _failed(session, user.username, remote_addr)
        raise IdentityError("Mã xác thực không đúng.")


def _failed(session: Session, username: str, remote_addr: str) -> None:
    session.add(LoginFailure(username=username[:64], remote_addr=remote_addr[:64], at=utcnow()))
    session.commit()
