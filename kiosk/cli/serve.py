"""`kiosk serve`: gunicorn with gevent workers, and the print spooler beside it (and, with
`KIOSK_NATS_URL`, the relay that sends the outbox to the province)."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..config import SETTINGS


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
@click.option("--worker-connections", default=1000, show_default=True, type=int,
              help="connections each gevent worker holds; KIOSK_MAX_STREAMS defaults to 4/5 "
                   "of it, the rest stay for the kiosk and counters")  # fmt: skip
@click.option("--spooler/--no-spooler", default=True, show_default=True,
              help="also run the print spooler, which stops with the server")  # fmt: skip
@with_appcontext
def serve(
    host: str, port: int, workers: int, worker_class: str, worker_connections: int, spooler: bool
) -> None:
    """Run the app under gunicorn, with the print spooler beside it.

    Sizing: each worker holds at most KIOSK_MAX_STREAMS event streams (displays, counter
    screens), 4/5 of --worker-connections unless set, so a site holds workers × that many
    displays and every worker keeps the rest of its connections for the kiosk and counters.
    """
    args = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:kiosk.gunicorn_conf",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--worker-connections", str(worker_connections),
        "--timeout", "60",
        "--graceful-timeout", "10",
        "--access-logfile", "-",
        "kiosk:create_app()",
    ]  # fmt: skip
    env = dict(os.environ)
    env.setdefault("KIOSK_INSTANCE_PATH", current_app.instance_path)
    streams = int(current_app.config["MAX_STREAMS"])
    if "KIOSK_MAX_STREAMS" not in env and streams == SETTINGS["MAX_STREAMS"][0]:
        streams = max(1, worker_connections * 4 // 5)
        env["KIOSK_MAX_STREAMS"] = str(streams)
    if streams >= worker_connections:
        raise click.ClickException(
            f"KIOSK_MAX_STREAMS ({streams}) phải nhỏ hơn --worker-connections "
            f"({worker_connections}), để còn chỗ cho kiosk và các quầy."
        )
    from ..app import refuse_published_accounts
    from ..config import ConfigError, is_production

    if is_production(current_app.config):
        try:
            refuse_published_accounts(current_app._get_current_object())  # type: ignore[attr-defined]
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
    from .dossiers import sweep_uploads

    done, _ = sweep_uploads()  # before any worker: what a crash left is put right first
    if done.finished or done.removed:
        click.echo(f"Tệp tải lên sau sự cố: hoàn tất {done.finished}, xóa {done.removed}.")
    if spooler:
        _start_spooler(env)
    if current_app.config.get("NATS_URL"):
        _start_beside(env, "kiosk.sync.relay")  # the outbox to the site's NATS server
    click.echo(
        f"Đang phục vụ tại http://{host}:{port} ({workers} worker {worker_class}, "
        f"tối đa {workers * streams} màn hình theo dõi)"
    )
    os.execve(sys.executable, args, env)


def _start_spooler(env: dict[str, str]) -> None:
    _start_beside(env, "kiosk.spooler")


def _start_beside(env: dict[str, str], module: str) -> None:
    """`python -m MODULE` (the spooler, the relay) as a child that the kernel stops when the
    server (this process, once it has become gunicorn) exits, so none outlives its server."""
    import ctypes
    import signal
    import subprocess

    def die_with_parent() -> None:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)

    subprocess.Popen(
        [sys.executable, "-m", module],
        env=env,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
    )
