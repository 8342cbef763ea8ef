"""Bank branches acting as public service agents (*đại lý dịch vụ công trực tuyến*): BIDV's and
Agribank's branches, each with its agents and supervisors. An agent acts only for its own
branch; the portal and the API check it on every dossier, upload and audit entry."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printers.profiles import known_profile
from printers.transports.policy import AddressPolicy

from ...models import Branch
from .. import places
from ..clock import utcnow
from ..money.payments import banks
from ..printing.jobs import check_printer
from ..text import TextRefused, clean_text

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{1,31}$")


class BranchError(ValueError):
    """A branch that cannot be created; the message says why."""


def bank_names() -> dict[str, str]:
    """Each way a bank may be named (its code or short name, upper case, no spaces: BID,
    BIDV, AGRIBANK, VCB, VIETCOMBANK...) to the name branches keep (the short name)."""
    out: dict[str, str] = {}
    for b in banks().values():
        name = b.short_name.upper().replace(" ", "")
        out[name] = name
        out.setdefault(b.code.upper(), name)
    return out


def create_branch(
    session: Session, code: str, *, bank: str, name: str, commune: str = ""
) -> Branch:
    """A new branch; BranchError when the code is taken or malformed, the bank unknown, or
    the commune not one of the current communes."""
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise BranchError("Mã chi nhánh gồm 2–32 chữ in hoa, số, dấu chấm, gạch (ví dụ BIDV-GL01).")
    given = bank.strip().upper().replace(" ", "")
    if given not in bank_names():
        raise BranchError(f"Ngân hàng {given!r} không có trong danh sách NAPAS (ví dụ BIDV).")
    bank = bank_names()[given]
    try:  # printed on the authorization and the branch's receipts
        name = clean_text(" ".join(name.split()), "Tên chi nhánh")
    except TextRefused as exc:
        raise BranchError(str(exc)) from exc
    if not name or len(name) > 255:
        raise BranchError("Cần tên chi nhánh (tối đa 255 ký tự).")
    commune_code = ""
    if commune.strip():
        found = places.get_commune(commune)
        if found is None:
            raise BranchError(f"Mã xã, phường {commune!r} không có trong danh mục hiện hành.")
        commune_code = found.code
    branch = Branch(code=code, bank=bank, name=name, commune_code=commune_code, active=True,
                    created_at=utcnow())  # fmt: skip
    session.add(branch)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise BranchError(f"Mã chi nhánh {code} đã có.") from exc
    return branch


def set_printer(
    session: Session, code: str, url: str, profile: str = "", *, policy: AddressPolicy
) -> Branch:
    """The branch's receipt printer (an empty address: the site's default printer);
    BranchError when there is no such branch, or the address or model is not one the site
    allows (the same rules as a counter's printer). The caller commits."""
    branch = get(session, code)
    if branch is None:
        raise BranchError(f"Không có chi nhánh {code.strip().upper()}.")
    url, profile = url.strip(), profile.strip()
    errors: dict[str, str] = {}
    check_printer(url, errors, policy)
    if errors:
        raise BranchError(errors["printer_url"])
    if profile and not known_profile(profile):
        raise BranchError(f"Không biết mẫu máy in {profile!r} (ví dụ TM-T20II, TM-T88V).")
    branch.printer_url, branch.printer_profile = url, profile
    return branch


def get(session: Session, code: str) -> Branch | None:
    return session.get(Branch, (code or "").strip().upper())


def all_branches(session: Session) -> list[Branch]:
    return list(session.scalars(select(Branch).order_by(Branch.bank, Branch.code)))
