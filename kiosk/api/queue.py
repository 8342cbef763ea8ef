"""Queue endpoints of the JSON API: tickets, services, counters, counter actions, events."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, url_for
from flask_wtf.csrf import CSRFError

from .. import auth
from ..domain import printing, queue
from ..domain.accounts import Forbidden
from ..domain.queue import TicketState
from ..events import Filter, Held, stream
from ..models import Counter, Service, User
from ..view_helpers import as_id, db, hub, public_url, site_tz, ticket_print
from . import bp, error, iso
from .dossiers import caller_of_request


def ticket_json(info: queue.TicketInfo) -> dict[str, Any]:
    t = info.ticket
    counter = t.counter
    return {
        "number": t.number,
        "token": t.token,
        "service": t.service.code,
        "service_name": t.service.name,
        "priority": t.priority,
        "state": t.state,
        "position": info.position,
        "people_ahead": info.ahead,
        "estimated_wait_minutes": info.estimated_wait_minutes,
        "issued_at": iso(t.issued_at),
        "called_at": iso(t.called_at),
        "counter": (
            {"id": counter.id, "number": counter.number, "name": counter.label}
            if counter is not None
            and t.state in (TicketState.CALLED, TicketState.SERVING, TicketState.DONE)
            else None
        ),
        "url": public_url(url_for("public.ticket", token=t.token)),
    }


def service_json(s: Service) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": s.name,
        "name_en": s.name_en,
        "prefix": s.prefix,
        "opens_at": s.opens_at.strftime("%H:%M") if s.opens_at else None,
        "closes_at": s.closes_at.strftime("%H:%M") if s.closes_at else None,
    }


def counter_json(c: Counter) -> dict[str, Any]:
    current = queue.current_ticket(db(), c)
    return {
        "id": c.id,
        "number": c.number,
        "name": c.label,
        "services": [s.code for s in c.services],
        "paused": c.paused,
        "staffed": c.officer_id is not None,
        "current": (
            {"number": current.number, "state": current.state, "token": None} if current else None
        ),
    }


def _body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


@bp.post("/tickets")
def create_ticket() -> Any:
    body = _body()
    if body is None:
        return error(400, "bad_request", 'Nội dung phải là JSON, ví dụ {"service": "HOTICH"}.')
    service = body.get("service")
    priority = body.get("priority", False)
    key = body.get("idempotency_key")
    if not isinstance(service, str) or not service.strip():
        return error(400, "bad_request", "Thiếu mã dịch vụ (service).")
    if not isinstance(priority, bool):
        return error(400, "bad_request", "priority phải là true hoặc false.")
    if key is not None and not isinstance(key, str):
        return error(400, "bad_request", "idempotency_key phải là chuỗi.")
    station = body.get("station")
    print_on = None
    if station is not None:
        if not isinstance(station, str):
            return error(400, "bad_request", "station phải là mã kiosk (chuỗi).")
        if printing.find_station(db(), station) is None:
            return error(404, "unknown_station", f"Không có kiosk mã {station[:16]!r}.")
        print_on = ticket_print(station)
    try:
        info = queue.issue_ticket(
            db(),
            service,
            priority=priority,
            idempotency_key=key,
            enforce_hours=bool(current_app.config["QUEUE_ENFORCE_HOURS"]),
            tz=site_tz(),
            print_on=print_on,
            caller=caller_of_request(auth.current_user()),
        )
    except queue.QueueError as exc:
        return error(exc.status, exc.code, str(exc))
    hub().poke()
    return ticket_json(info), 201 if info.created else 200


@bp.get("/tickets/<token>")
def get_ticket(token: str) -> Any:
    ticket = queue.find_ticket(db(), token)
    if ticket is None:
        return error(404, "not_found", "Không tìm thấy số thứ tự này.")
    return ticket_json(queue.ticket_info(db(), ticket, tz=site_tz()))


@bp.get("/services")
def list_services() -> Any:
    return {"items": [service_json(s) for s in queue.services(db())]}


@bp.get("/counters")
def list_counters() -> Any:
    return {"items": [counter_json(c) for c in queue.counters(db())]}


def _acting_user() -> User | Any:
    """The officer behind this request, or an error response."""
    user = auth.current_user()
    if user is None:
        return error(401, "unauthorized", "Cần đăng nhập hoặc gửi Authorization: Bearer <mã>.")
    try:
        auth.check_api_csrf()
    except CSRFError:
        return error(400, "csrf", "Thiếu hoặc sai mã chống giả mạo (X-CSRFToken).")
    return user


def _if_current(body: dict[str, Any]) -> int | None:
    value = body.get("if_current")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _counter_action(counter_id: int, action: str) -> Any:
    """`POST /counters/<id>/<action>` for every action of `queue.ACTIONS` marked `api`."""
    user = _acting_user()
    if not isinstance(user, User):
        return user
    body = _body() or {}
    service = body.get("service")
    to_counter = body.get("counter")
    if service is not None and not isinstance(service, str):
        return error(400, "bad_request", "service phải là mã dịch vụ.")
    if to_counter is not None and (not isinstance(to_counter, int) or isinstance(to_counter, bool)):
        return error(400, "bad_request", "counter phải là id của quầy.")
    try:
        outcome = queue.perform(
            db(), action, counter_id, user,
            if_current=_if_current(body), tz=site_tz(),
            service_code=service, to_counter_id=to_counter,
        )  # fmt: skip
    except Forbidden as exc:
        return error(403, "forbidden", str(exc))
    except queue.QueueError as exc:
        return error(exc.status, exc.code, str(exc))
    hub().poke()
    if outcome.ticket is None:
        return error(404, "queue_empty", "Không còn ai đang chờ ở quầy này.")
    return ticket_json(queue.ticket_info(db(), outcome.ticket, tz=site_tz()))


for _name, _spec in queue.ACTIONS.items():
    if _spec.api:
        bp.add_url_rule(
            f"/counters/<id:counter_id>/{_name}",
            "counter_" + _name.replace("-", "_"),
            _counter_action,
            methods=["POST"],
            defaults={"action": _name},
        )


@bp.get("/queue/events")
def queue_events() -> Response:
    flt = Filter.parse(request.args.get("counters"), request.args.get("services"))
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    after = as_id(raw)  # the browser's Last-Event-ID: a bad one starts from now
    factory = current_app.extensions["kiosk.sessionmaker"]
    events_hub = hub()
    if not events_hub.admit(int(current_app.config["MAX_STREAMS"])):
        # Full: the kiosk and the counters keep their connections. The display comes back
        # after the hint (display.js), spread out so that a crowd does not return at once.
        retry = int(current_app.config["STREAM_RETRY_SECONDS"])
        busy = Response(f"retry: {retry * 1000}\n\n", 503, mimetype="text/event-stream")
        busy.headers["Retry-After"] = str(retry)
        busy.headers["Cache-Control"] = "no-cache"
        return busy
    body = Held(events_hub, stream(events_hub, factory, flt, after))
    resp = Response(body, mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
