"""`kiosk users create NAME --role ROLE [--branch CODE] [--unit CODE]`, `kiosk users password
NAME`, `kiosk users lock NAME... | --demo`, `kiosk users unlock NAME`, `kiosk tokens create
NAME`, `kiosk branches create CODE --bank BANK --name NAME [--commune CODE]` and `kiosk
branches printer CODE URL [--profile P]`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..models import ROLES
from .common import open_session


def register(cli: AppGroup) -> None:
    cli.add_command(users)
    cli.add_command(tokens)
    cli.add_command(branches)


users = AppGroup("users", help="Staff accounts.")


@users.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(list(ROLES)),
    help="officer: works a counter; processor: processes dossiers; manager: also configures; "
    "admin: everything; agent, supervisor: a bank branch's staff (with --branch)",
)
@click.option("--full-name", default="", help="the name shown on screens")
@click.option("--branch", default=None, help="the bank branch of an agent or supervisor")
@click.option(
    "--unit",
    default="",
    help="a manager's unit (a department's code such as STP, or a commune's): their reports "
    "show that unit only",
)
def users_create(name: str, role: str, full_name: str, branch: str | None, unit: str) -> None:
    """Create the account NAME; the password is read from standard input."""
    from ..domain.accounts import IdentityError, create_user

    password = _read_password()
    session = open_session()
    try:
        # Whoever runs the command chose the password: the owner chooses their own at first.
        user = create_user(session, name, password, role, full_name, branch_code=branch,
                           unit_code=unit, must_change_password=True)  # fmt: skip
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role}).")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@users.command("password")
@click.argument("name")
def users_password(name: str) -> None:
    """Give account NAME a new password (read from standard input), e.g. when it is forgotten:
    its sessions end, and it must choose its own at the next sign-in."""
    from ..domain.accounts import IdentityError, reset_password

    password = _read_password()
    session = open_session()
    try:
        user = reset_password(session, name, password)
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Đã đặt mật khẩu mới cho {user.username}; lần đăng nhập tới phải đổi mật khẩu.")


@users.command("lock")
@click.argument("names", nargs=-1)
@click.option(
    "--demo",
    is_flag=True,
    help="also every demo account that still signs in with its published password (what "
    "production refuses to start with)",
)
def users_lock(names: tuple[str, ...], demo: bool) -> None:
    """Lock the accounts NAMES (and with --demo the demo accounts): they cannot sign in, and
    their sessions end. Nothing is deleted: their records and audit entries stay theirs."""
    _set_active(names, demo, active=False)


@users.command("unlock")
@click.argument("names", nargs=-1, required=True)
def users_unlock(names: tuple[str, ...]) -> None:
    """Unlock the accounts NAMES."""
    _set_active(names, False, active=True)


def _set_active(names: tuple[str, ...], demo: bool, active: bool) -> None:
    from sqlalchemy import select

    from ..demo.accounts import DEMO_ACCOUNTS
    from ..domain.accounts import published_accounts, set_active_by_operator
    from ..models import User

    if not names and not demo:
        raise click.UsageError("Nêu tên tài khoản, hoặc --demo.")
    session = open_session()
    try:
        found = []
        for name in names:
            user = session.scalar(select(User).where(User.username == name.strip()))
            if user is None:
                raise click.ClickException(f"Không có tài khoản {name}.")
            found.append(user)
        if demo:
            found += published_accounts(session, [a[:2] for a in DEMO_ACCOUNTS])
        for user in found:
            set_active_by_operator(session, user, active)
            click.echo(f"Đã {'mở khóa' if active else 'khóa'} tài khoản {user.username}.")
        if not found:
            click.echo("Không còn tài khoản mẫu nào đăng nhập được bằng mật khẩu công bố.")
    finally:
        session.close()


tokens = AppGroup("tokens", help="API tokens for other systems.")


@tokens.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Make an API token acting as account NAME; the token is the last line printed."""
    from ..domain.accounts import IdentityError, create_token

    session = open_session()
    try:
        token = create_token(session, name)
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Mã truy cập API cho {name} (chỉ hiện một lần, gửi kèm "
               "'Authorization: Bearer <mã>'):")  # fmt: skip
    click.echo(token)


branches = AppGroup("branches", help="Bank branches acting as public service agents.")


@branches.command("create")
@click.argument("code")
@click.option("--bank", required=True, help="the bank's code, e.g. BIDV or AGRIBANK")
@click.option("--name", required=True, help="the branch's name")
@click.option("--commune", default="", help="the commune or ward code (five digits) it is in")
def branches_create(code: str, bank: str, name: str, commune: str) -> None:
    """Create the branch CODE."""
    from ..domain.accounts.branches import BranchError, create_branch

    session = open_session()
    try:
        branch = create_branch(session, code, bank=bank, name=name, commune=commune)
    except BranchError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Đã tạo chi nhánh {branch.code} ({branch.bank}): {branch.name}.")


@branches.command("printer")
@click.argument("code")
@click.argument("url")
@click.option("--profile", default="", help="the printer's python-escpos profile, e.g. TM-T20II")
def branches_printer(code: str, url: str, profile: str) -> None:
    """Print the branch CODE's receipts on URL (e.g. tcp://10.1.2.3:9100; "" for the default)."""
    from flask import current_app

    from ..domain.accounts.branches import BranchError, set_printer

    session = open_session()
    try:
        branch = set_printer(
            session, code, url, profile, policy=current_app.extensions["kiosk.printer_policy"]
        )
        session.commit()
    except BranchError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Chi nhánh {branch.code} in ra {branch.printer_url or 'máy in mặc định'}.")
