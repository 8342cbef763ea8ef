"""Gaps found by trying the queue as a newcomer and as an attacker would: printer addresses
that lead out of the printer, tickets from the API that never printed, a ticket committed
apart from its print job, and unknown ids answering 500."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing.converters import NumberConverter

from kiosk.domain import printing, queue
from kiosk.domain.clock import VIETNAM
from kiosk.domain.printing import delivery
from kiosk.models import KioskStation, PrintJob, Ticket, TicketSequence
from printers.reader import read_escpos
from tests.builders import csrf, sign_in, token_for, valid


def _text(resp: Any) -> str:
    return str(resp.get_data(as_text=True))


# --- printer addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("file:///etc/passwd", "thiết bị máy in"),
        ("virtual:///etc/cron.d", "chỉ được ghi trong thư mục"),
        ("tcp://127.0.0.1:5432", "cổng 5432 không được phép"),
    ],
)
def test_a_manager_cannot_point_a_printer_out_of_the_printer(
    floor: Flask, client: FlaskClient, session: Session, address: str, rule: str
) -> None:
    sign_in(client, "quanly", "mat-khau-dai-2")
    token = csrf(client, "/office/printers")
    station = client.post(
        "/office/printers", data={"csrf_token": token, "code": "K9", "printer_url": address}
    )
    assert station.status_code == 400 and rule in _text(station)
    counter = client.post(
        "/office/setup/counters",
        data={"csrf_token": token, "number": "9", "services": ["1"], "printer_url": address},
    )
    assert counter.status_code == 400 and rule in _text(counter)
    assert session.scalar(select(func.count()).select_from(KioskStation)) == 0


def test_the_spooler_never_opens_an_address_the_site_refuses(
    floor: Flask, session: Session, tmp_path: Path
) -> None:
    # As if written before the rules tightened, or straight into the database.
    target = tmp_path / "outside.bin"
    job = delivery.enqueue(session, f"file://{target}", "TM-T20II", b"\x1b@", kind="ticket")
    policy = floor.extensions["kiosk.printer_policy"]
    assert delivery.deliver_due(session, policy=policy) == 0
    assert not target.exists()
    session.refresh(job)
    assert job.state == "pending" and "KIOSK_PRINTER_FILE_DIRS" in job.last_error


# --- tickets from the API print on a station's printer ------------------------------------------


def test_a_ticket_issued_through_the_api_prints_on_its_station(
    client: FlaskClient, floor: Flask, session: Session
) -> None:
    folder = Path(floor.instance_path) / "k2"
    session.add(KioskStation(code="K2", name="Sảnh", printer_url=f"virtual://{folder}",
                                printer_profile="POS-5890"))  # fmt: skip
    session.commit()
    r = client.post("/api/v1/tickets", json={"service": "HOTICH", "station": "k2"})
    assert r.status_code == 201
    valid(r.get_json(), "/tickets", "post", 201)
    job = session.scalar(select(PrintJob))
    assert job is not None and job.printer_url == f"virtual://{folder}"
    assert job.profile == "POS-5890" and job.payload == b""  # drawn by the spooler
    policy = floor.extensions["kiosk.printer_policy"]
    assert delivery.deliver_due(session, policy=policy) == 1
    printed = list(folder.glob("*.bin"))
    assert len(printed) == 1
    back = read_escpos(printed[0].read_bytes())
    assert back.image.width == 384  # the station's 58 mm profile
    session.refresh(job)
    assert job.payload == printed[0].read_bytes()  # kept: a reprint prints the same paper
    # The same key again: the same ticket, and nothing printed twice.
    again = client.post("/api/v1/tickets", json={"service": "HOTICH", "station": "K2"})
    assert again.status_code == 201
    key = {"service": "HOTICH", "station": "K2", "idempotency_key": "api-k2"}
    assert client.post("/api/v1/tickets", json=key).status_code == 201
    assert client.post("/api/v1/tickets", json=key).status_code == 200
    assert session.scalar(select(func.count()).select_from(PrintJob)) == 3


def test_without_a_station_the_api_prints_nothing_and_a_bad_station_is_refused(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    assert client.post("/api/v1/tickets", json={"service": "HOTICH"}).status_code == 201
    assert session.scalar(select(func.count()).select_from(PrintJob)) == 0
    unknown = client.post("/api/v1/tickets", json={"service": "HOTICH", "station": "NOPE"})
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "unknown_station"
    valid(unknown.get_json(), "/tickets", "post", 404)
    wrong = client.post("/api/v1/tickets", json={"service": "HOTICH", "station": 7})
    assert wrong.status_code == 400 and "station" in wrong.get_json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 1


# --- a ticket and its print job are one transaction ---------------------------------------------


def test_a_ticket_is_never_committed_without_its_print_job(
    floor: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = printing.TicketPrint(
        printer=printing.Printer(f"virtual://{floor.instance_path}/p", "TM-T20II"),
        site_name="Trung tâm",
        link=lambda token: f"http://kiosk.test/t/{token}",
        tz=VIETNAM,
    )
    real = printing.ticket_job

    def broken(ticket: Ticket, ahead: int, how: printing.TicketPrint) -> PrintJob:
        job = real(ticket, ahead, how)
        job.printer_url = None  # type: ignore[assignment]  # the job's INSERT fails
        return job

    monkeypatch.setattr("kiosk.domain.queue.issuing.ticket_job", broken)
    with pytest.raises(queue.QueueError):
        queue.issue_ticket(session, "HOTICH", print_on=spec)
    # Nothing half-done: no ticket, no job, and the number was not used up.
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert session.scalar(select(func.count()).select_from(PrintJob)) == 0
    assert session.scalar(select(func.count()).select_from(TicketSequence)) == 0
    monkeypatch.setattr("kiosk.domain.queue.issuing.ticket_job", real)
    info = queue.issue_ticket(session, "HOTICH", print_on=spec)
    assert info.ticket.number == "A001"
    job = session.scalar(select(PrintJob))
    assert job is not None and "A001" in job.title


def test_the_kiosk_says_so_when_a_ticket_could_not_be_issued(
    floor: Flask, client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ticket: Ticket, ahead: int, how: printing.TicketPrint) -> PrintJob:
        job = printing.new_job(how.printer, "ticket", "x")
        job.printer_url = None  # type: ignore[assignment]  # the job's INSERT fails
        return job

    monkeypatch.setattr("kiosk.domain.queue.issuing.ticket_job", broken)
    token = csrf(client, "/kiosk/queue")
    r = client.post("/kiosk/queue", data={"csrf_token": token, "service": "HOTICH", "key": "b1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/queue")
    assert "Không cấp được số" in _text(client.get("/kiosk/queue"))
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


# --- unknown ids answer 404 with a message, never 500 --------------------------------------------

UNKNOWN_INT = 999_999
UNKNOWN_STR = "khong-co-ma-nay"


def _unknown_url(rule: Any) -> str:
    url = str(rule.rule)
    for arg in sorted(rule._converters):
        number = isinstance(rule._converters[arg], NumberConverter)
        value = str(UNKNOWN_INT) if number else UNKNOWN_STR
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", value, url)
    return url


#: Rules with an argument that is not an id to look up.
NOT_AN_ID = {"/static/<path:filename>", "/lang/<code>"}
#: Answers that must not depend on whether the code exists, so codes cannot be enumerated:
#: the status page asks every code for its second fact; a rating without one is a bad request;
#: the kiosk's pay screen sends a code this session has not checked back to its form.
SAME_FOR_ANY_CODE = {
    ("GET", "/d/<code>"),
    ("POST", "/api/v1/dossiers/<code>/rating"),
    ("GET", "/kiosk/pay/d/<code>"),
}


def test_every_route_with_an_unknown_id_answers_404_with_a_message(
    client: FlaskClient, floor: Flask
) -> None:
    sign_in(client, "quanly", "mat-khau-dai-2")
    token = csrf(client, "/office/")
    bearer = {"Authorization": "Bearer " + token_for(floor, "quanly")}
    tried = 0
    for rule in floor.url_map.iter_rules():
        if not rule.arguments or rule.rule in NOT_AN_ID:
            continue
        urls = [_unknown_url(rule)]
        if "<action>" in rule.rule:
            urls = [rule.rule.replace("<id:counter_id>", str(UNKNOWN_INT)).replace(
                "<action>", name) for name in queue.ACTIONS]  # fmt: skip
            urls.append(_unknown_url(rule))  # an unknown action too
        for url in urls:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if (method, rule.rule) in SAME_FOR_ANY_CODE:
                    continue
                variants: list[dict[str, str]] = [{}]
                if method == "POST" and url.startswith("/office/"):
                    variants = [{"X-CSRFToken": token},
                                {"X-CSRFToken": token, "HX-Request": "true",
                                 "HX-Target": "panel"}]  # fmt: skip
                for headers in variants:
                    if url.startswith("/api/"):
                        headers = {**headers, **bearer}
                    r = client.open(url, method=method, headers=headers,
                                 data={"csrf_token": token, "number": "A001"})  # fmt: skip
                    tried += 1
                    assert r.status_code == 404, f"{method} {url} {headers}: {r.status_code}"
                    if url.startswith("/api/"):
                        assert r.get_json()["error"]["message"], url
                    else:
                        assert "Không" in _text(r) or "không" in _text(r), url
    assert tried > 30
    # Editing an unknown service or counter is a 404 too, not a 500.
    for url in (
        f"/office/services?edit={UNKNOWN_INT}",
        f"/office/setup/counters?edit={UNKNOWN_INT}",
    ):
        r = client.get(url)
        assert r.status_code == 404 and "Không có" in _text(r), url


# --- displays cannot take the connections the kiosk needs ----------------------------------------


def test_streams_beyond_the_cap_are_told_to_come_back_later(floor: Flask) -> None:
    floor.config["MAX_STREAMS"] = 2
    client = floor.test_client()
    first = client.get("/api/v1/queue/events", buffered=False)
    second = client.get("/api/v1/queue/events?counters=1", buffered=False)
    assert first.status_code == second.status_code == 200
    assert next(iter(first.response)).startswith(b"retry:")
    refused = client.get("/api/v1/queue/events", buffered=False)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "10"
    assert refused.mimetype == "text/event-stream"
    assert refused.get_data(as_text=True) == "retry: 10000\n\n"
    # The kiosk still gets through...
    assert client.get("/kiosk/").status_code == 200
    # ...and a display that goes away, started or not, frees its place.
    first.close()
    second.close()
    again = [client.get("/api/v1/queue/events", buffered=False) for _ in range(2)]
    assert [r.status_code for r in again] == [200, 200]
    for r in again:
        r.close()


def test_the_display_page_carries_the_retry_hint_and_the_call_text(
    floor: Flask, client: FlaskClient
) -> None:
    page = _text(client.get("/office/display"))
    assert 'data-retry="10"' in page
    assert 'data-call-text="Mời công dân có số {number} đến quầy số {counter}"' in page
