"""`kiosk init-db`, `kiosk demo`, `kiosk import-catalog FILE` and `kiosk export-catalog`."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from ..config import is_production
from ..demo.accounts import load_demo_accounts
from ..demo.floor import load_demo_floor
from ..domain.catalog import CatalogFormatError, export_catalog, import_catalog
from ..storage import migrate
from .common import open_session

DEMO_CATALOG = Path(__file__).resolve().parent.parent / "data" / "demo_catalog.json"


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
    if is_production(current_app.config):
        click.echo("Môi trường production: không tạo tài khoản mẫu.")
        return
    for line in load_demo_accounts(session, str(current_app.config["SITE_CODE"])):
        click.echo(line)


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
