"""The queue (*xếp hàng lấy số*): one module per job, one public surface (this one).

- `lookup`: services, counters, a ticket by its token, a counter's current ticket;
- `waiting`: the call order, people ahead, waiting lists and the wait estimate;
- `issuing`: numbering and issuing tickets (and writing their print job in the same
  transaction);
- `counter`: what an officer does at a counter, and `ACTIONS`, the one table of those actions;
- `log`: the event log that displays and counter screens follow;
- `setup`: the floor as the manager sets it up: services, counters and kiosk stations.

Views import `kiosk.domain.queue` and nothing below it.
"""

from __future__ import annotations

from .base import ACTIVE, QueueError, TicketInfo
from .counter import (
    ACTIONS,
    QUEUE_EMPTY,
    Asked,
    CounterAction,
    Outcome,
    call_next,
    finish,
    no_show,
    perform,
    recall,
    set_paused,
    set_priority,
    sign_in_counter,
    sign_out_counter,
    start,
    transfer,
)
from .issuing import format_number, issue_ticket
from .log import EMITTED, EVENT_LOCK, events_after, last_event_id, recent_calls
from .lookup import (
    counters,
    current_ticket,
    find_ticket,
    get_counter,
    is_open,
    service_by_code,
    service_for_procedure,
    services,
)
from .setup import (
    ConfigInvalid,
    ServiceForm,
    save_counter,
    save_service,
    save_station,
    set_speech_volume,
    speech_volume,
)
from .states import TicketState
from .waiting import (
    MIN_SAMPLES,
    RATE_TTL,
    ROLLING,
    Waiting,
    estimate_minutes,
    minutes_per_person,
    open_counters,
    people_ahead,
    rolling_service_minutes,
    ticket_info,
    waiting_by_service,
)

__all__ = [
    "ACTIONS", "ACTIVE", "EMITTED", "EVENT_LOCK", "MIN_SAMPLES", "QUEUE_EMPTY", "RATE_TTL",
    "ROLLING", "Asked", "ConfigInvalid", "CounterAction", "Outcome", "QueueError", "ServiceForm",
    "TicketInfo", "TicketState", "Waiting", "call_next", "counters", "current_ticket",
    "estimate_minutes", "events_after",
    "find_ticket", "finish", "format_number", "get_counter", "is_open", "issue_ticket",
    "last_event_id", "minutes_per_person", "no_show", "open_counters", "people_ahead", "perform",
    "recall", "recent_calls", "rolling_service_minutes", "save_counter", "save_service",
    "save_station", "service_by_code", "service_for_procedure", "services", "set_paused",
    "set_priority", "set_speech_volume", "sign_in_counter", "sign_out_counter", "speech_volume",
    "start", "ticket_info", "transfer", "waiting_by_service",
]  # fmt: skip
