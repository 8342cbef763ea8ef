"""What the queue's modules share: its error, a ticket with where it stands, and `atomic`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

from ...models import Ticket
from .states import TicketState

ACTIVE = (TicketState.CALLED, TicketState.SERVING)


class QueueError(ValueError):
    """A queue action that cannot be done now; `code` for the API, the message for people."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class TicketInfo:
    """A ticket with where it stands: people ahead and the estimated wait."""

    ticket: Ticket
    ahead: int
    estimated_wait_minutes: int
    created: bool = True
    opens_at: dt.time | None = None

    @property
    def position(self) -> int:
        return self.ahead + 1 if self.ticket.state == TicketState.WAITING else 0


F = TypeVar("F", bound=Callable[..., Any])


def atomic(fn: F) -> F:
    """Roll the session back when `fn` (whose first argument is the session) fails, so no
    lock outlives a refused action."""

    @functools.wraps(fn)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return cast(F, wrapper)
