"""`kiosk province demo`: a hub and two demo sites on this machine, in the foreground
(`make province`)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

import click
from flask.cli import AppGroup


def register(cli: AppGroup) -> None:
    cli.add_command(province_group)


@click.group("province")
def province_group() -> None:
    """The province as one system, on one machine to look at."""


def _ports(text: str, option: str) -> tuple[int, int, int]:
    try:
        ports = tuple(int(p) for p in text.split(","))
    except ValueError:
        ports = ()
    if len(ports) != 3 or not all(0 < p < 65536 for p in ports):
        raise click.BadParameter("ba cổng cách nhau bằng dấu phẩy: trạm tỉnh, đơn vị 1, đơn vị 2",
                                 param_hint=option)  # fmt: skip
    return ports[0], ports[1], ports[2]


@province_group.command("demo")
@click.option("--root", default="instance/province", show_default=True,
              help="the folder of the hub's and the sites' files (kept between runs)")  # fmt: skip
@click.option("--app-ports", default="8100,8101,8102", show_default=True,
              help="the apps' ports: hub, first site, second site")  # fmt: skip
@click.option("--nats-ports", default="4300,4301,4302", show_default=True,
              help="the nats-servers' client ports (loopback): hub, first site, "
                   "second site")  # fmt: skip
@click.option("--leaf-port", default=7430, show_default=True, type=int,
              help="the hub's port for the sites' servers (loopback)")  # fmt: skip
def demo(root: str, app_ports: str, nats_ports: str, leaf_port: int) -> None:
    """Run a hub (on PostgreSQL: DATABASE_URL, else a database kiosk_province on the local
    server) and two demo sites, each with its own app, SQLite, demo data, code, nats-server
    (a leaf of the hub) and relay, until Ctrl-C, which stops them all."""
    from ..demo.province import DemoError, ProvinceDemo, province_database

    apps = _ports(app_ports, "--app-ports")
    nats = _ports(nats_ports, "--nats-ports")
    try:
        database = province_database(os.environ.get("DATABASE_URL") or None)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    demo = ProvinceDemo(Path(root), database, apps, nats, leaf_port,
                        echo=lambda line: click.echo(line))  # fmt: skip

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Both set here: a process started in the background (`make province &`, a test's Popen
    # under a background job) inherits SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        demo.prepare()
        click.echo("Khởi động trạm tỉnh và hai đơn vị…")
        demo.start_all()
        click.echo(demo.welcome())
        sys.stdout.flush()
        dead = demo.watch()
        click.echo(f"{dead} đã dừng; dừng tất cả.\n{demo.parts[dead].tail()}", err=True)
        code = 1
    except KeyboardInterrupt:
        click.echo("\nĐang dừng…")
    except DemoError as exc:
        click.echo(str(exc), err=True)
        code = 1
    finally:
        # A second Ctrl-C or SIGTERM (make forwards the group's SIGTERM: two arrive) does not
        # cut the stop short and leave parts running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.stop()
    click.echo("Đã dừng tất cả.")
    sys.exit(code)
