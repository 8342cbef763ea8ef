"""A ticket's states (*trạng thái số*). Beside the dossier's (`dossiers.states`) and the
payment's (`money.states`): the records keep the value, and the domain is the enum's one home."""

from __future__ import annotations

import enum


class TicketState(enum.StrEnum):
    """A ticket's state (*trạng thái số*); stored as its value. Equal to the plain strings, so
    the SQL written by hand (`kiosk/domain/queue/issuing.py`) uses the same words."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
