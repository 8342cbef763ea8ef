"""`kiosk users create NAME --role ROLE` and `kiosk tokens create NAME`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..models import ROLES
from .common import open_session


def register(cli: AppGroup) -> None:
    cli.add_command(users)
    cli.add_command(tokens)


users = AppGroup("users", help="Staff accounts.")


@users.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(list(ROLES)),
    help="officer: works a counter; manager: also configures; admin: everything",
)
@click.option("--full-name", default="", help="the name shown on screens")
def users_create(name: str, role: str, full_name: str) -> None:
    """Create the account NAME; the password is read from standard input."""
    from ..domain.identity import IdentityError, create_user

    if sys.stdin.isatty():
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    session = open_session()
    try:
        user = create_user(session, name, password, role, full_name)
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role}).")


tokens = AppGroup("tokens", help="API tokens for other systems.")


@tokens.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Make an API token acting as account NAME; the token is the last line printed."""
    from ..domain.identity import IdentityError, create_token

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
