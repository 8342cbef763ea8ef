"""Accounts (*tài khoản*): who may do what, and everything about the people who sign in.

- `roles`: what each role may do (`PERMISSIONS`), `require` and `can`, checked in the domain;
- `users`: creating accounts (an agent by their supervisor), a branch's team, lock and unlock;
- `sign_in`: passwords (argon2) with a brake on guessing, the second factor (TOTP), sessions
  ended server-side, API tokens, the demo's published passwords production refuses;
- `branches`: the banks' branches whose agents file for citizens;
- `audit`: the append-only audit log every area writes to;
- `throttle`: rate limits kept in the database.

Callers use `kiosk.domain.accounts` for roles, users and sign-in, and `accounts.branches`,
`accounts.audit` and `accounts.throttle` by name (not imported here, so that a domain module
can use the roles without loading the branches' dependencies).
"""

from __future__ import annotations

from .roles import (
    BRANCH_ROLES,
    PERMISSIONS,
    UNIT_MANAGER,
    Forbidden,
    IdentityError,
    can,
    granted,
    require,
)
from .sign_in import (
    FAILURE_WINDOW,
    LOCKED,
    MAX_ADDRESS_FAILURES,
    MAX_FAILURES,
    MAX_PASSWORD,
    MAX_TOTP_FAILURES,
    MIN_PASSWORD,
    TOTP_ISSUER,
    TOTP_LOCKED,
    TOTP_ROLES,
    authenticate,
    change_password,
    check_totp,
    confirm_totp,
    create_token,
    end_sessions,
    needs_totp,
    published_accounts,
    reset_password,
    start_totp,
    user_for_token,
)
from .users import add_agent, create_user, set_active, set_active_by_operator, team

__all__ = [
    "BRANCH_ROLES", "FAILURE_WINDOW", "LOCKED", "MAX_ADDRESS_FAILURES", "MAX_FAILURES",
    "MAX_PASSWORD", "MAX_TOTP_FAILURES", "MIN_PASSWORD", "PERMISSIONS", "TOTP_ISSUER",
    "TOTP_LOCKED", "TOTP_ROLES", "UNIT_MANAGER", "Forbidden", "IdentityError", "add_agent",
    "authenticate", "can", "change_password", "check_totp", "confirm_totp", "create_token",
    "create_user", "end_sessions", "granted", "needs_totp", "published_accounts", "require",
    "reset_password", "set_active", "set_active_by_operator", "start_totp", "team",
    "user_for_token",
]  # fmt: skip
