"""`kiosk serve`: gunicorn with gevent workers, and the print spooler beside it."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext


def register(cli: AppGroup) -> None:
    cli.add_command(serve)


@click.command("serve")
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
@with_appcontext
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
