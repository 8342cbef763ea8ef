"""The application: `gunicorn 'kiosk:create_app()'` or `kiosk serve`.

The factory lives in `kiosk/app.py` and is imported on first call, so that a process that
needs only the domain and the database (the print spooler, `python -m kiosk.spooler`) never
loads Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, *, commands: bool = False) -> Flask:
    """Build the app: defaults, then instance/config.py, then KIOSK_* variables, then
    `test_config` (tests only). See `kiosk.app.create_app`."""
    from .app import create_app as build

    return build(test_config, commands=commands)
