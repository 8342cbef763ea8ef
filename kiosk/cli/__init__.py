"""The `kiosk` command: Flask's own commands plus one module per group of ours.

- `catalog.py`: init-db, demo, import-catalog;
- `people.py`: users, tokens;
- `printing.py`: printer test / preview, spooler;
- `serve.py`: serve (gunicorn with the spooler beside it);
- `dossiers.py`: uploads sweep;
- `payments.py`: vietqr build / parse, banks secret;
- `reports.py`: demo-month;
- `sync.py`: nats hub / creds / site, sync relay / ingest (the province's sync);
- `province.py`: province demo (a hub and two demo sites on this machine, `make province`).

A new group (dossiers, payments, reports) gets a module of its own with a `register(cli)`
and a line in `register` below.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from .catalog import DEMO_CATALOG


def register(app: Flask) -> None:
    """Attach the project's commands to `app.cli`."""
    from . import catalog, dossiers, payments, people, printing, province, reports, serve, sync

    for group in (catalog, people, printing, serve, dossiers, payments, reports, sync, province):
        group.register(app.cli)


def main() -> None:
    import functools

    from .. import create_app

    # Built for commands: production's refusal of demo accounts must not stop the command that
    # locks them (`kiosk serve` checks before it serves).
    FlaskGroup(
        create_app=functools.partial(create_app, commands=True),
        add_version_option=False,
        load_dotenv=False,
    )(prog_name="kiosk")


__all__ = ["DEMO_CATALOG", "main", "register"]
