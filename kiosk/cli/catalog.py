"""`kiosk init-db`, `kiosk demo`, `kiosk import-catalog FILE` and `kiosk export-catalog`."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from ..config import is_production
from ..domain.catalog import CatalogFormatError, export_catalog, import_catalog
from ..storage import migrate
from .common import open_session

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "demo_catalog.json"

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


def register(cli: AppGroup) -> None:
    cli.add_command(init_db)
    cli.add_command(import_catalog_cmd)
    cli.add_command(export_catalog_cmd)
    cli.add_command(demo)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database to the latest schema."""
    migrate(current_app.config["DATABASE_URL"])
    click.echo(f"Cơ sở dữ liệu đã ở phiên bản mới nhất: {_safe_url()}")
    _seed_calendar()


def _seed_calendar() -> None:
    """The working calendar (days off, worked Saturdays) from last year to three years ahead,
    from the `holidays` package; days a manager already changed are kept."""
    import datetime as dt

    from ..domain.dossiers.workdays import seed_calendar

    year = dt.date.today().year
    session = open_session()
    try:
        added = seed_calendar(session, range(year - 1, year + 4))
    finally:
        session.close()
    if added:
        click.echo(f"Lịch làm việc: thêm {added} ngày nghỉ lễ, Tết và ngày làm bù.")


@click.command("import-catalog")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_catalog_cmd(file: Path) -> None:
    """Import procedures from a JSON or CSV FILE: all of it, or nothing if a row is bad."""
    _import(file)


@click.command("export-catalog")
@with_appcontext
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def export_catalog_cmd(file: TextIO) -> None:
    """Write the whole catalog, e-forms included, as JSON to FILE (standard output by default),
    in the shape `kiosk import-catalog` reads back."""
    import json

    session = open_session()
    try:
        data = export_catalog(session)
    finally:
        session.close()
    json.dump(data, file, ensure_ascii=False, indent=1)
    file.write("\n")


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Migrate, then load the demo catalog, services, counters and accounts (safe to run
    again: it updates in place and adds only what is missing)."""
    from ..domain.queue.setup import load_demo_floor

    migrate(current_app.config["DATABASE_URL"])
    _seed_calendar()
    _import(DEMO_CATALOG)
    session = open_session()
    try:
        added = load_demo_floor(session)
        click.echo(f"Đã thêm {added} dịch vụ và quầy mẫu.")
        _demo_accounts(session)
    finally:
        session.close()


def _demo_accounts(session: Session) -> None:
    from sqlalchemy import select

    from ..domain.accounts import create_user
    from ..domain.accounts.branches import create_branch
    from ..models import Branch, User

    if is_production(current_app.config):
        click.echo("Môi trường production: không tạo tài khoản mẫu.")
        return
    for code, bank, branch_name, commune in DEMO_BRANCHES:
        if session.get(Branch, code) is None:
            create_branch(session, code, bank=bank, name=branch_name, commune=commune)
    for name, password, role, full_name, place in DEMO_ACCOUNTS:
        if session.scalar(select(User).where(User.username == name)) is None:
            branch, unit = (None, place or "") if role == "manager" else (place, "")
            create_user(session, name, password, role, full_name, branch, unit_code=unit)
            click.echo(f"Tài khoản mẫu: {name} / {password} ({role}).")
    _demo_collecting_account(session)


def _demo_collecting_account(session: Session) -> None:
    """The demo's collecting account for the site, entered by the demo manager as a manager
    enters one (*Tài khoản thu phí*), only while no account at all is entered: one a manager
    entered is never replaced (a new account for the same agency retires the one before)."""
    from sqlalchemy import select

    from ..domain.money import add_account
    from ..models import BankAccount, User

    if session.scalar(select(BankAccount.id).limit(1)) is not None:
        return
    manager = session.scalar(select(User).where(User.username == "quanly", User.active))
    if manager is None:
        click.echo("Không có tài khoản quanly: không tạo tài khoản thu phí mẫu.")
        return
    bank_bin, number, holder = DEMO_COLLECTING_ACCOUNT
    agency = str(current_app.config["SITE_CODE"])
    add_account(session, agency=agency, bank_bin=bank_bin, number=number, holder=holder,
                actor=manager)  # fmt: skip
    click.echo(f"Tài khoản thu phí mẫu (không chuyển tiền thật): BIDV {number} ({agency}).")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def _import(file: Path) -> None:
    session = open_session()
    try:
        report = import_catalog(session, file.read_bytes(), file.name)
    except CatalogFormatError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    finally:
        session.close()
    if not report.ok:
        for err in report.errors:
            click.echo(f"{file}: {err}", err=True)
        raise click.ClickException(
            f"{len(report.errors)} lỗi: không nhập thủ tục nào. Sửa các dòng trên rồi chạy lại."
        )
    click.echo(f"Đã nhập {report.created} thủ tục mới, cập nhật {report.updated} thủ tục.")
