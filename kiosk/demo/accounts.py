"""The demo's people and money: two bank branches acting as public service agents, an account
for each role with a published password (documented in the README; production refuses to start
while one still signs in, `accounts.published_accounts`), and a collecting account no bank
holds. `kiosk demo` loads them outside production only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.accounts import create_user
from ..domain.accounts.branches import create_branch
from ..domain.money import add_account
from ..models import BankAccount, Branch, User

#: Demo accounts, created by `kiosk demo` outside production only, documented in the README.
#: Two bank branches acting as public service agents (code, bank, name, commune).
DEMO_BRANCHES = [
    ("BIDV-GL", "BIDV", "BIDV Chi nhánh Gia Lai", "21583"),
    ("AGR-GL", "AGRIBANK", "Agribank Chi nhánh Gia Lai", ""),
]
#: (name, password, role, full name, bank branch or a manager's unit)
DEMO_ACCOUNTS = [
    ("canbo", "canbo-demo-2026", "officer", "Nguyễn Thị Hoa", None),
    ("quanly", "quanly-demo-2026", "manager", "Trần Văn Minh", None),
    ("xuly", "xuly-demo-2026", "processor", "Lê Thị Hà", None),
    ("daily", "daily-demo-2026", "agent", "Võ Thị Mai", "BIDV-GL"),
    ("kiemsoat", "kiemsoat-demo-2026", "supervisor", "Phạm Thị Lan", "BIDV-GL"),
    ("daily-agr", "daily-agr-demo-2026", "agent", "Rơ Chăm Hiền", "AGR-GL"),
    ("sotuphap", "sotuphap-demo-2026", "manager", "Đinh Văn Thành", "STP"),
]

#: The demo's collecting account (*tài khoản thu phí*), so the kiosk's Thanh toán shows a
#: VietQR code: BIDV's BIN, and a "number" that says what it is and that no bank holds (letters
#: are allowed by VietQR, so a banking app that scans it finds no such account and pays
#: nothing). Its holder, printed on the fee slip, says so too. (BIN, number, holder)
DEMO_COLLECTING_ACCOUNT = ("970418", "DEMOKHONGCHUYENTIEN", "TÀI KHOẢN DEMO - KHÔNG CHUYỂN TIỀN")


def load_demo_accounts(session: Session, agency: str) -> list[str]:
    """Create the demo branches and accounts that are missing, then the collecting account
    (`agency`: the site's code); what was made, a line each, to tell the operator."""
    told = []
    for code, bank, branch_name, commune in DEMO_BRANCHES:
        if session.get(Branch, code) is None:
            create_branch(session, code, bank=bank, name=branch_name, commune=commune)
    for name, password, role, full_name, place in DEMO_ACCOUNTS:
        if session.scalar(select(User).where(User.username == name)) is None:
            branch, unit = (None, place or "") if role == "manager" else (place, "")
            create_user(session, name, password, role, full_name, branch, unit_code=unit)
            told.append(f"Tài khoản mẫu: {name} / {password} ({role}).")
    told += load_demo_collecting_account(session, agency)
    return told


def load_demo_collecting_account(session: Session, agency: str) -> list[str]:
    """The demo's collecting account for the site, entered by the demo manager as a manager
    enters one (*Tài khoản thu phí*), only while no account at all is entered: one a manager
    entered is never replaced (a new account for the same agency retires the one before)."""
    if session.scalar(select(BankAccount.id).limit(1)) is not None:
        return []
    manager = session.scalar(select(User).where(User.username == "quanly", User.active))
    if manager is None:
        return ["Không có tài khoản quanly: không tạo tài khoản thu phí mẫu."]
    bank_bin, number, holder = DEMO_COLLECTING_ACCOUNT
    add_account(session, agency=agency, bank_bin=bank_bin, number=number, holder=holder,
                actor=manager)  # fmt: skip
    return [f"Tài khoản thu phí mẫu (không chuyển tiền thật): BIDV {number} ({agency})."]
