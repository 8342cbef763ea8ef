"""The `kiosk` command: init-db, demo, import-catalog, serve (and Flask's own commands)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy.orm import Session, sessionmaker

from .domain.catalog_import import CatalogFormatError, import_catalog
from .models import ROLES
from .storage import migrate

DEMO_CATALOG = Path(__file__).parent / "data" / "demo_catalog.json"


def _session() -> Session:
    factory: sessionmaker[Session] = current_app.extensions["kiosk.sessionmaker"]
    return factory()


def register(app: Flask) -> None:
    """Attach the project's commands to `app.cli`."""

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or migrate the database to the latest schema."""
        migrate(current_app.config["DATABASE_URL"])
        click.echo(f"Cơ sở dữ liệu đã ở phiên bản mới nhất: {_safe_url()}")

    @app.cli.command("import-catalog")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_catalog_cmd(file: Path) -> None:
        """Import procedures from a JSON or CSV FILE: all of it, or nothing if a row is bad."""
        _import(file)

    @app.cli.command("demo")
    def demo() -> None:
        """Migrate, then load the demo catalog, services, counters and accounts (safe to run
        again: it updates in place and adds only what is missing)."""
        from .domain.queue_config import load_demo_floor

        migrate(current_app.config["DATABASE_URL"])
        _import(DEMO_CATALOG)
        session = _session()
        try:
            added = load_demo_floor(session)
            click.echo(f"Đã thêm {added} dịch vụ và quầy mẫu.")
            _demo_accounts(session)
        finally:
            session.close()

    @app.cli.group("users")
    def users() -> None:
        """Staff accounts."""

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
        from .domain.identity import IdentityError, create_user

        if sys.stdin.isatty():
            password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        session = _session()
        try:
            user = create_user(session, name, password, role, full_name)
        except IdentityError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            session.close()
        click.echo(f"Đã tạo tài khoản {user.username} ({user.role}).")

    @app.cli.group("tokens")
    def tokens() -> None:
        """API tokens for other systems."""

    @tokens.command("create")
    @click.argument("name")
    def tokens_create(name: str) -> None:
        """Make an API token acting as account NAME; the token is the last line printed."""
        from .domain.identity import IdentityError, create_token

        session = _session()
        try:
            token = create_token(session, name)
        except IdentityError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            session.close()
        click.echo(f"Mã truy cập API cho {name} (chỉ hiện một lần, gửi kèm "
                   "'Authorization: Bearer <mã>'):")  # fmt: skip
        click.echo(token)

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--workers", default=2, show_default=True, type=int)
    @click.option(
        "--worker-class",
        default="gevent",
        show_default=True,
        help="gevent holds hundreds of long-lived connections (Server-Sent Events) per worker.",
    )
    @click.option("--spooler/--no-spooler", default=True, show_default=True,
                  help="also run the print spooler, which stops with the server")  # fmt: skip
    def serve(host: str, port: int, workers: int, worker_class: str, spooler: bool) -> None:
        """Run the app under gunicorn, with the print spooler beside it."""
        args = [
            sys.executable, "-m", "gunicorn",
            "--bind", f"{host}:{port}",
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--worker-connections", "1000",
            "--timeout", "60",
            "--graceful-timeout", "10",
            "--access-logfile", "-",
            "kiosk:create_app()",
        ]  # fmt: skip
        env = dict(os.environ)
        env.setdefault("KIOSK_INSTANCE_PATH", current_app.instance_path)
        if spooler:
            _start_spooler(env)
        click.echo(f"Đang phục vụ tại http://{host}:{port} ({workers} worker {worker_class})")
        os.execve(sys.executable, args, env)

    @app.cli.group("printer")
    def printer() -> None:
        """Thermal printers: test pages and previews."""

    @printer.command("test")
    @click.argument("url")
    @click.option("--profile", default="TM-T20II", show_default=True, help="python-escpos profile")
    @click.option("--width", type=click.Choice(["384", "576"]), default=None,
                  help="dots; by default the profile's, else 576")  # fmt: skip
    def printer_test(url: str, profile: str, width: str | None) -> None:
        """Print a page with every Vietnamese letter, upper and lower case, to URL."""
        from printers import layouts, to_escpos
        from printers.transports import PrinterUnavailable, open_transport

        from .printing import profile_width

        dots = int(width) if width else profile_width(profile)
        try:
            transport = open_transport(url)
            transport.send(to_escpos(layouts.test_page(dots, profile), profile))
        except (ValueError, PrinterUnavailable) as exc:
            raise click.ClickException(f"Không in được: {exc}") from exc
        click.echo(f"Đã gửi trang in thử tới {url} ({profile}, {dots} điểm).")

    @printer.command("preview")
    @click.argument("kind", type=click.Choice(["ticket", "receipt", "fee", "apology"]))
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--width", type=click.Choice(["384", "576"]), default="576", show_default=True)
    def printer_preview(kind: str, out: Path, width: str) -> None:
        """Write a PNG preview of a ticket, receipt, fee slip or apology notice."""
        from .printing import sample_job

        job = sample_job(kind, int(width), current_app.config["SITE_NAME"])
        job.preview().save(out)
        click.echo(f"Đã ghi {out} ({width} điểm).")

    @app.cli.command("spooler")
    @click.option("--once", is_flag=True, help="deliver what is due, then exit")
    @click.option("--interval", default=0.5, show_default=True, help="seconds between passes")
    def spooler(once: bool, interval: float) -> None:
        """Deliver stored print jobs to their printers, retrying until they print."""
        import time

        from .domain.spooler import deliver_due

        session = _session()
        try:
            while True:
                try:
                    printed = deliver_due(session)
                except Exception as exc:  # noqa: BLE001 - a lost database link: try again
                    if once:
                        raise
                    click.echo(f"Bộ đệm in: lỗi {exc!r}, thử lại sau 5 giây.", err=True)
                    session.rollback()
                    time.sleep(5)
                    continue
                if printed:
                    click.echo(f"Đã in {printed} phiếu.")
                if once:
                    break
                time.sleep(interval)
        finally:
            session.close()


def _start_spooler(env: dict[str, str]) -> None:
    """`kiosk spooler` as a child that the kernel stops when the server (this process, once
    it has become gunicorn) exits, so no spooler outlives its server."""
    import ctypes
    import signal
    import subprocess

    def die_with_parent() -> None:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)

    subprocess.Popen(
        [sys.executable, "-c", "from kiosk.cli import main; main()", "spooler"],
        env=env,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
    )


#: Demo accounts, created by `kiosk demo` outside production only, documented in the README.
DEMO_ACCOUNTS = [
    ("canbo", "canbo-demo-2026", "officer", "Nguyễn Thị Hoa"),
    ("quanly", "quanly-demo-2026", "manager", "Trần Văn Minh"),
]


def _demo_accounts(session: Session) -> None:
    from sqlalchemy import select

    from .domain.identity import create_user
    from .models import User

    if current_app.config.get("ENV") == "production":
        click.echo("Môi trường production: không tạo tài khoản mẫu.")
        return
    for name, password, role, full_name in DEMO_ACCOUNTS:
        if session.scalar(select(User).where(User.username == name)) is None:
            create_user(session, name, password, role, full_name)
            click.echo(f"Tài khoản mẫu: {name} / {password} ({role}).")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def _import(file: Path) -> None:
    session = _session()
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


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, add_version_option=False, load_dotenv=False)(
        prog_name="kiosk"
    )
