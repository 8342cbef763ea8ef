"""What the command modules share."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session, sessionmaker


def open_session() -> Session:
    """A database session of the running app (close it when done)."""
    factory: sessionmaker[Session] = current_app.extensions["kiosk.sessionmaker"]
    return factory()
