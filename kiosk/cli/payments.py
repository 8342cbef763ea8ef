"""`kiosk vietqr build|parse` and `kiosk banks secret BANKCODE`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup, with_appcontext

from ..domain import money
from ..domain.money import vietqr
from .common import open_session

qr = AppGroup("vietqr", help="Build or check a VietQR payment code (NAPAS, EMVCo).")
bank = AppGroup("banks", help="Banks that notify payments.")


def register(cli: AppGroup) -> None:
    cli.add_command(qr)
    cli.add_command(bank)


@qr.command("build")
@click.option("--bin", "bank_bin", required=True, help="the bank's NAPAS BIN, 6 digits")
@click.option("--account", required=True, help="account number, or card number with --card")
@click.option("--amount", type=int, default=None, help="whole đồng; without it, a static code")
@click.option("--purpose", default="", help="what the transfer is for (folded to ASCII)")
@click.option("--bill", default="", help="bill number: the payment's reference")
@click.option("--card", is_flag=True, help="to a card (QRIBFTTC) rather than an account")
def build(
    bank_bin: str, account: str, amount: int | None, purpose: str, bill: str, card: bool
) -> None:
    """Print the payload of a VietQR code."""
    try:
        payload = vietqr.build(
            vietqr.VietQR(bank_bin, account, vietqr.TO_CARD if card else vietqr.TO_ACCOUNT,
                          amount, bill, purpose)
        )  # fmt: skip
    except vietqr.VietQRError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(payload)


@qr.command("parse")
@click.argument("payload")
def parse(payload: str) -> None:
    """Print what a VietQR payload says, as JSON; exit non-zero with the reason if it is not a
    valid one (for checking a bank's printed code)."""
    try:
        found = vietqr.parse(payload)
    except vietqr.VietQRError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(found.as_dict(), ensure_ascii=False))


@bank.command("secret")
@with_appcontext
@click.argument("code")
def secret(code: str) -> None:
    """Create or rotate the secret bank CODE signs its payment notifications with; the secret
    is printed alone on the last line (the old one stops working at once)."""
    session = open_session()
    try:
        value = money.rotate_secret(session, code)
    except money.PaymentError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Khóa bí mật mới của {code.upper()} (khóa cũ hết hiệu lực ngay):")
    click.echo(value)
