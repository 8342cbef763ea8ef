"""`kiosk printer test|preview` and `kiosk spooler`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from printers.printouts import PRINTOUTS


def register(cli: AppGroup) -> None:
    cli.add_command(printer)
    cli.add_command(spooler)


printer = AppGroup("printer", help="Thermal printers: test pages and previews.")


@printer.command("test")
@click.argument("url")
@click.option("--profile", default="TM-T20II", show_default=True, help="python-escpos profile")
@click.option("--width", type=click.Choice(["384", "576"]), default=None,
              help="dots; by default the profile's, else 576")  # fmt: skip
def printer_test(url: str, profile: str, width: str | None) -> None:
    """Print a page with every Vietnamese letter, upper and lower case, to URL."""
    from printers import layouts, to_escpos
    from printers.profiles import profile_width
    from printers.transports import PrinterUnavailable, open_transport

    dots = int(width) if width else profile_width(profile)
    try:
        transport = open_transport(url)
        transport.send(to_escpos(layouts.test_page(dots, profile), profile))
    except (ValueError, PrinterUnavailable) as exc:
        raise click.ClickException(f"Không in được: {exc}") from exc
    click.echo(f"Đã gửi trang in thử tới {url} ({profile}, {dots} điểm).")


@printer.command("preview")
@click.argument("kind", type=click.Choice(list(PRINTOUTS)))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--width", type=click.Choice(["384", "576"]), default="576", show_default=True)
def printer_preview(kind: str, out: Path, width: str) -> None:
    """Write a PNG preview of a ticket, receipt, fee slip, cash receipt, apology notice or an
    agent's authorization form (its A4 PDF: `printers.layouts.authorization_pdf`)."""
    from printers.samples import sample_job

    job = sample_job(kind, int(width), current_app.config["SITE_NAME"])
    job.preview().save(out)
    click.echo(f"Đã ghi {out} ({width} điểm).")


@click.command("spooler")
@click.option("--once", is_flag=True, help="deliver what is due, then exit")
@click.option("--interval", default=0.5, show_default=True, help="seconds between passes")
@with_appcontext
def spooler(once: bool, interval: float) -> None:
    """Deliver stored print jobs to their printers, retrying until they print."""
    from ..spooler import run

    run(current_app.instance_path, once=once, interval=interval, config=dict(current_app.config))
