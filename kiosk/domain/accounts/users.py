"""Staff accounts: creating them (an agent by their supervisor), a branch's team, locking and
unlocking. What a role may do is `roles`; signing in and passwords are `sign_in`.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import ROLES, Branch, LoginFailure, Unit, User
from .. import units
from ..clock import utcnow
from ..text import TextRefused, clean_text
from . import audit
from .roles import BRANCH_ROLES, Forbidden, IdentityError, can, require
from .sign_in import _check_length, end_sessions, hash_password


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
        password_hash=hash_password(password),
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
