"""The agents' surface: bank-branch staff acting as public service agents
(*đại lý dịch vụ công trực tuyến*), filing for citizens who cannot file online themselves.

- `lookup.py`: `/agent/`, the procedures that can be filed on a citizen's behalf (public, as
  the catalog is), each with a link to file it;
- `filing.py`: `/agent/file/<code>`, the citizen's authorization printed (A4 PDF) and its
  signed scan uploaded back, the form and the papers; no dossier without the authorization;
- `dossiers.py`: `/agent/dossiers`, the branch's worklist (results ready to hand back first),
  a dossier's page with its fee (cash with a printed receipt, or VietQR), receipts printed
  again, and the hand-back;
- receipts print on the branch's printer (`printer()`, `Branch.printer_url`), else the
  site's default;
- `branch.py`: for supervisors, the branch's reports (SVG charts, CSV), its audit log, its
  agents and the cash handed over to the agency.

Every page that names a dossier, an upload, a payment or an account looks it up first and
answers 404 when it does not exist *or belongs to another branch*, before any permission check,
so a typed URL tells an agent nothing about another branch (`dossiers.visible`).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, request, url_for

from kiosk.auth import current_user
from kiosk.domain.accounts import audit, can
from kiosk.domain.printing import Printer, printer_for
from kiosk.models import Branch, User
from kiosk.web import db, default_printer

bp = Blueprint("agent_portal", __name__, url_prefix="/agent")


def me() -> User:
    user = current_user()
    assert isinstance(user, User)
    return user


def printer() -> Printer:
    """The signed-in agent's branch printer (set by an admin in /office/branches), else the
    site's default printer."""
    mine = db().get(Branch, me().branch_code or "")
    if mine is None:
        return default_printer()
    return printer_for(mine.printer_url, mine.printer_profile, default_printer())


def owner() -> str:
    """Whose uploads these are, before they are filed."""
    return f"user:{me().id}"


def log(action: str, dossier: str = "", detail: str = "", outcome: str = "ok") -> None:
    """An audit entry for what the signed-in agent did, under their branch, in the request's
    transaction (the caller commits it with the action)."""
    user = me()
    audit.record(db(), user, action, dossier=dossier, branch=user.branch_code or "",
                 detail=detail, outcome=outcome)  # fmt: skip


def signed_in(view: Any) -> Any:
    """Sign in first; what the account may do is checked after the look-up, so an unknown code
    answers 404 to anyone."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path.rstrip("?")
            return redirect(url_for("office.login") + "?" + urlencode({"next": target}))
        return view(*args, **kwargs)

    return wrapper


def may(permission: str) -> None:
    """403 unless the signed-in account has `permission`."""
    if not can(current_user(), permission):
        abort(403)


from . import branch, dossiers, filing, lookup  # noqa: E402,F401 - register their routes
