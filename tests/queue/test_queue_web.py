"""The queue through its surfaces: the API (checked against OpenAPI), the kiosk, the office,
the public ticket page, the event stream and the spoken call, on both engines."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import wave
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk import doorbell, events
from kiosk.models import Counter, PrinterState, PrintJob, Ticket
from tests.builders import csrf, sign_in, token_for, valid


def counter_id(s: Session, number: int) -> int:
    cid = s.scalar(select(Counter.id).where(Counter.number == number))
    assert cid is not None
    return cid


def post(client: FlaskClient, url: str, body: Any = None, **headers: str) -> Any:
    return client.post(url, json=body, headers=headers)


# --- API ---------------------------------------------------------------------------------------


def test_issue_ticket_and_read_it_back(floor: Flask, client: FlaskClient) -> None:
    r = post(client, "/api/v1/tickets", {"service": "HOTICH", "idempotency_key": "kiosk-1-0001"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    valid(body, "/tickets", "post", 201)
    assert body["number"] == "A001" and body["position"] == 1 and body["people_ahead"] == 0
    assert body["url"] == f"http://kiosk.test/t/{body['token']}"
    again = post(
        client, "/api/v1/tickets", {"service": "HOTICH", "idempotency_key": "kiosk-1-0001"}
    )
    assert again.status_code == 200 and again.get_json()["token"] == body["token"]
    second = post(client, "/api/v1/tickets", {"service": "HOTICH", "priority": True})
    assert second.get_json()["number"] == "A002" and second.get_json()["position"] == 1
    got = client.get(f"/api/v1/tickets/{body['token']}")
    valid(got.get_json(), "/tickets/{token}", "get", 200)
    assert got.get_json()["position"] == 2  # the priority ticket goes first


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (None, 400, "bad_request"),
        ({"priority": True}, 400, "bad_request"),
        ({"service": "HOTICH", "priority": "yes"}, 400, "bad_request"),
        ({"service": "HOTICH", "idempotency_key": 5}, 400, "bad_request"),
        ({"service": "HOTICH", "idempotency_key": "x" * 65}, 400, "bad_idempotency_key"),
        ({"service": "KHONGCO"}, 404, "unknown_service"),
    ],
)
def test_bad_ticket_requests_are_refused_in_vietnamese(
    floor: Flask, client: FlaskClient, body: Any, status: int, code: str
) -> None:
    r = client.post("/api/v1/tickets", data="not json" if body is None else json.dumps(body),
                 content_type="application/json")  # fmt: skip
    assert r.status_code == status
    valid(r.get_json(), "/tickets", "post", status)
    assert r.get_json()["error"]["code"] == code
    assert client.get("/api/v1/tickets/khong-co").status_code == 404


def test_services_and_counters(floor: Flask, client: FlaskClient) -> None:
    services = client.get("/api/v1/services").get_json()
    valid(services, "/services", "get", 200)
    assert [s["prefix"] for s in services["items"]] == ["A", "B", "C", "D"]
    counters = client.get("/api/v1/counters").get_json()
    valid(counters, "/counters", "get", 200)
    by_number = {c["number"]: c for c in counters["items"]}
    assert by_number[4]["services"] == ["CUTRU", "GIAOTHONG"]
    assert isinstance(by_number[4]["id"], int)


def test_counter_actions_with_a_bearer_token(client: FlaskClient, floor: Flask) -> None:
    token = token_for(floor, "canbo")
    auth = {"Authorization": f"Bearer {token}"}
    cid = client.get("/api/v1/counters").get_json()["items"][0]["id"]
    empty = post(client, f"/api/v1/counters/{cid}/call-next", **auth)
    assert empty.status_code == 404 and empty.get_json()["error"]["code"] == "queue_empty"
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    called = post(client, f"/api/v1/counters/{cid}/call-next", **auth)
    assert called.status_code == 200
    valid(called.get_json(), "/counters/{id}/call-next", "post", 200)
    first = called.get_json()
    assert first["state"] == "called" and first["counter"]["number"] == 1
    assert post(client, f"/api/v1/counters/{cid}/recall", **auth).get_json()["number"] == "A001"
    assert post(client, f"/api/v1/counters/{cid}/start", **auth).get_json()["state"] == "serving"
    assert post(client, f"/api/v1/counters/{cid}/finish", **auth).get_json()["state"] == "done"
    nxt = post(client, f"/api/v1/counters/{cid}/call-next", {"if_current": 0}, **auth).get_json()
    assert nxt["number"] == "A002"
    stale = post(client, f"/api/v1/counters/{cid}/call-next", {"if_current": 0}, **auth)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale"
    assert post(client, f"/api/v1/counters/{cid}/no-show", **auth).get_json()["state"] == "no_show"
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    post(client, f"/api/v1/counters/{cid}/call-next", **auth)
    moved = post(client, f"/api/v1/counters/{cid}/transfer", {"service": "CUTRU"}, **auth)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["service"] == "CUTRU" and moved.get_json()["state"] == "waiting"
    bad = post(client, f"/api/v1/counters/{cid}/transfer", {"counter": "x"}, **auth)
    assert bad.status_code == 400
    assert post(client, "/api/v1/counters/999/call-next", **auth).status_code == 404


def test_counter_actions_need_an_officer(client: FlaskClient, floor: Flask) -> None:
    cid = client.get("/api/v1/counters").get_json()["items"][0]["id"]
    url = f"/api/v1/counters/{cid}/call-next"
    assert post(client, url).status_code == 401
    assert post(client, url, Authorization="Bearer not-a-token").status_code == 401
    agent = token_for(floor, "daily")
    r = post(client, url, Authorization=f"Bearer {agent}")
    assert r.status_code == 403 and "quyền" in r.get_json()["error"]["message"]
    # A signed-in officer's browser must send the CSRF token with API writes.
    assert sign_in(client, "canbo", "mat-khau-dai-1").status_code == 302
    assert post(client, url).status_code == 400
    token = csrf(client, "/office/")
    assert post(client, url, **{"X-CSRFToken": token}).status_code == 404  # nobody waiting


# --- command line ------------------------------------------------------------------------------


def test_users_and_tokens_from_the_command_line(floor: Flask, client: FlaskClient) -> None:
    runner = floor.test_cli_runner()
    made = runner.invoke(args=["users", "create", "canbo9", "--role", "officer"],
                         input="mot-mat-khau-dai\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    short = runner.invoke(args=["users", "create", "canbo8", "--role", "officer"], input="ngan\n")
    assert short.exit_code != 0 and "ít nhất 8" in short.output
    bad_role = runner.invoke(args=["users", "create", "x", "--role", "vua"], input="12345678\n")
    assert bad_role.exit_code != 0
    out = runner.invoke(args=["tokens", "create", "canbo9"])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    post(client, "/api/v1/tickets", {"service": "CUTRU"})
    cid = [c for c in client.get("/api/v1/counters").get_json()["items"] if c["number"] == 3][0]
    r = post(client, f"/api/v1/counters/{cid['id']}/call-next", Authorization=f"Bearer {token}")
    assert r.status_code == 200 and r.get_json()["number"] == "B001"
    missing = runner.invoke(args=["tokens", "create", "khongai"])
    assert missing.exit_code != 0 and "Không có tài khoản" in missing.output


# --- office ------------------------------------------------------------------------------------


def test_sign_in_is_checked_and_slowed_after_failures(floor: Flask, client: FlaskClient) -> None:
    assert client.get("/office/").status_code == 302
    # Without the CSRF token the form is refused.
    assert (
        client.post("/office/login", data={"username": "canbo", "password": "x"}).status_code == 400
    )
    wrong = sign_in(client, "canbo", "sai-mat-khau")
    assert wrong.status_code == 401
    assert "không đúng" in wrong.get_data(as_text=True)
    for _ in range(4):
        sign_in(client, "canbo", "sai-mat-khau")
    locked = sign_in(client, "canbo", "mat-khau-dai-1")
    assert locked.status_code == 401 and "15 phút" in locked.get_data(as_text=True)
    assert sign_in(client, "quanly", "mat-khau-dai-2").status_code == 302
    assert client.get("/office/").status_code == 200


def test_counter_screen_works_with_and_without_htmx(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    post(client, "/api/v1/tickets", {"service": "HOTICH", "priority": True})
    sign_in(client, "canbo", "mat-khau-dai-1")
    cid = counter_id(session, 1)
    page = client.get(f"/office/counters/{cid}")
    assert page.status_code == 200 and "Gọi số tiếp theo" in page.get_data(as_text=True)
    token = csrf(client, f"/office/counters/{cid}")
    # A plain form post: redirect back to the counter (post/redirect/get).
    r = client.post(
        f"/office/counters/{cid}/call-next", data={"csrf_token": token, "if_current": "0"}
    )
    assert r.status_code == 302
    html = client.get(f"/office/counters/{cid}").get_data(as_text=True)
    assert 'data-testid="current-number">A002<' in html  # priority first
    # htmx asks for the panel only.
    current = session.scalar(select(Ticket.id).where(Ticket.number == "A002"))
    frag = client.post(
        f"/office/counters/{cid}/call-next",
        data={"csrf_token": token, "if_current": str(current)},
        headers={"HX-Request": "true", "HX-Target": "panel"},
    )
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and body.lstrip().startswith('<section id="panel"')
    assert "A001" in body and "<html" not in body
    # A double tap (the screen still showed A002) is refused in plain words, nothing skipped.
    again = client.post(
        f"/office/counters/{cid}/call-next",
        data={"csrf_token": token, "if_current": str(current)},
        headers={"HX-Request": "true", "HX-Target": "panel"},
    )
    assert "chưa cập nhật" in again.get_data(as_text=True)
    states = dict(session.execute(select(Ticket.number, Ticket.state)).all())
    assert states == {"A002": "done", "A001": "called"}


def test_the_counter_screen_and_perform_follow_the_actions_table(
    client: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch, floor: Flask
) -> None:
    """`ACTIONS` decides what runs and which key each button answers to: change the table,
    and the screen and the action follow it."""
    from dataclasses import replace

    from kiosk.domain import queue

    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    sign_in(client, "canbo", "mat-khau-dai-1")
    cid = counter_id(session, 1)
    token = csrf(client, f"/office/counters/{cid}")
    ran: list[int] = []
    real = queue.ACTIONS["call-next"]

    def run(s: Session, c: int, u: Any, a: queue.Asked) -> Any:
        ran.append(c)
        return real.run(s, c, u, a)

    monkeypatch.setitem(queue.ACTIONS, "call-next", replace(real, run=run))
    monkeypatch.setitem(queue.ACTIONS, "transfer", replace(queue.ACTIONS["transfer"], key="x"))
    client.post(f"/office/counters/{cid}/call-next", data={"csrf_token": token, "if_current": "0"})
    assert ran == [cid]
    html = client.get(f"/office/counters/{cid}").get_data(as_text=True)
    assert 'data-testid="current-number">A001<' in html
    assert "<kbd>X</kbd>" in html and 'data-key="x"' in html and "<kbd>T</kbd>" not in html


def test_officers_cannot_configure_but_managers_can(
    client: FlaskClient, session: Session, floor: Flask
) -> None:
    sign_in(client, "canbo", "mat-khau-dai-1")
    assert client.get("/office/services").status_code == 403
    client.post("/office/logout", data={"csrf_token": csrf(client, "/office/")})
    sign_in(client, "quanly", "mat-khau-dai-2")
    token = csrf(client, "/office/services")
    bad = client.post(
        "/office/services",
        data={"csrf_token": token, "code": "DAT DAI", "prefix": "A", "name": "",
              "opens_at": "25:00", "default_minutes": "0"},
    )  # fmt: skip
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("Mã dịch vụ gồm", "Chữ A đã dùng", "Nhập tên dịch vụ", "giờ:phút", "1 đến 240"):
        assert message in text
    ok = client.post(
        "/office/services",
        data={"csrf_token": token, "code": "DATDAI", "prefix": "E", "name": "Đất đai",
              "opens_at": "07:30", "closes_at": "11:30", "default_minutes": "20", "active": "on"},
    )  # fmt: skip
    assert ok.status_code == 302
    items = client.get("/api/v1/services").get_json()["items"]
    new = next(s for s in items if s["code"] == "DATDAI")
    assert new["prefix"] == "E" and new["opens_at"] == "07:30"
    svc_ids = [str(i) for i in range(1, 10)]
    made = client.post(
        "/office/setup/counters",
        data={"csrf_token": token, "number": "6", "name": "Quầy đất đai", "services": svc_ids,
              "printer_url": "tcp://10.0.0.9:9100", "active": "on"},
    )  # fmt: skip
    assert made.status_code == 302
    counters = client.get("/api/v1/counters").get_json()["items"]
    assert counters[-1]["name"] == "Quầy đất đai" and "DATDAI" in counters[-1]["services"]
    dup = client.post("/office/setup/counters",
                   data={"csrf_token": token, "number": "6", "services": svc_ids})  # fmt: skip
    assert dup.status_code == 400 and "Đã có quầy số 6" in dup.get_data(as_text=True)
    bad_printer = client.post("/office/setup/counters",
                           data={"csrf_token": token, "number": "7", "services": svc_ids,
                                 "printer_url": "ftp://x"})  # fmt: skip
    assert bad_printer.status_code == 400 and "máy in không hợp lệ" in bad_printer.get_data(
        as_text=True
    )


# --- kiosk, printing and the public page -------------------------------------------------------


def test_kiosk_issues_prints_and_never_twice(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    page = client.get("/kiosk/queue").get_data(as_text=True)
    assert "Lấy số thứ tự" in page and "Hộ tịch, chứng thực" in page
    key = re.search(r'name="key" value="([0-9a-f]+)"', page)
    assert key
    token = csrf(client, "/kiosk/queue")
    form = {"csrf_token": token, "key": key.group(1), "service": "CUTRU"}
    first = client.post("/kiosk/queue", data=form)
    second = client.post("/kiosk/queue", data=form)  # a double tap
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 1
    jobs = list(session.scalars(select(PrintJob)))
    assert len(jobs) == 1 and jobs[0].kind == "ticket" and jobs[0].title == "Số B001"
    assert jobs[0].printer_url.startswith("virtual://")
    screen = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "B001" in screen and "Phiếu đang được in" in screen and "<svg" in screen


def test_the_screen_says_so_when_the_printer_is_down(
    client: FlaskClient, floor: Flask, session: Session
) -> None:
    from kiosk.domain.clock import utcnow

    url = floor.config["PRINTER_URL"]
    session.add(PrinterState(url=url, status="paper_out", checked_at=utcnow()))
    session.commit()
    token = csrf(client, "/kiosk/queue")
    r = client.post("/kiosk/queue", data={"csrf_token": token, "service": "HOTICH", "key": "k1"})
    screen = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Máy in phiếu đang gặp sự cố" in screen and "A001" in screen
    # The job waits for the printer; nothing is lost.
    assert session.scalar(select(func.count()).select_from(PrintJob)) == 1


def test_take_a_number_from_a_procedure_page(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    code = client.get("/api/v1/procedures?q=cu tru").get_json()["items"][0]["code"]
    page = client.get(f"/kiosk/procedures/{code}").get_data(as_text=True)
    assert "Lấy số thứ tự cho thủ tục này" in page
    token = csrf(client, f"/kiosk/procedures/{code}")
    r = client.post("/kiosk/queue", data={"csrf_token": token, "procedure": code, "key": "p1"})
    ticket = session.scalar(select(Ticket))
    assert r.status_code == 302 and ticket is not None
    assert ticket.number.startswith("B") and ticket.procedure_code == code


def test_public_ticket_page_and_its_fragment(floor: Flask, client: FlaskClient) -> None:
    body = post(client, "/api/v1/tickets", {"service": "GIAOTHONG"}).get_json()
    post(client, "/api/v1/tickets", {"service": "GIAOTHONG"})
    second = post(client, "/api/v1/tickets", {"service": "GIAOTHONG"}).get_json()
    page = client.get(f"/t/{second['token']}")
    assert page.status_code == 200 and "C003" in page.get_data(as_text=True)
    assert "Trước bạn còn 2 người" in page.get_data(as_text=True)
    frag = client.get(f"/t/{body['token']}", headers={"HX-Request": "true", "HX-Target": "status"})
    assert "<html" not in frag.get_data(as_text=True) and "C001" in frag.get_data(as_text=True)
    assert client.get("/t/khong-co-so-nay").status_code == 404


def test_the_ticket_printed_carries_the_public_url(
    client: FlaskClient, floor: Flask, session: Session
) -> None:
    import zxingcpp
    from PIL import Image

    from kiosk.domain.printing.delivery import deliver_due
    from printers.reader import read_escpos

    token = csrf(client, "/kiosk/queue")
    client.post("/kiosk/queue", data={"csrf_token": token, "service": "HOTICH", "key": "q1"})
    assert deliver_due(session, policy=floor.extensions["kiosk.printer_policy"]) == 1
    job = session.scalar(select(PrintJob))
    assert job is not None and job.state == "done"
    back = read_escpos(job.payload)
    ticket = session.scalar(select(Ticket))
    assert ticket is not None
    url = f"http://kiosk.test/t/{ticket.token}"
    assert back.qr_payloads == [url]  # the default TM-T20II prints QR codes natively
    image: Image.Image = back.image
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    assert url in found


# --- events and speech -------------------------------------------------------------------------


def read_events(resp: Any, count: int) -> list[tuple[str | None, dict[str, Any]]]:
    """The first `count` data events of a streamed text/event-stream response."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    buf = ""
    for chunk in resp.response:
        buf += chunk if isinstance(chunk, str) else chunk.decode()
        while "\n\n" in buf:
            block, buf = buf.split("\n\n", 1)
            name = None
            data = None
            for line in block.splitlines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
            if data is not None:
                out.append((name, data))
                if len(out) == count:
                    resp.close()
                    return out
    raise AssertionError(f"stream ended after {len(out)} events")


def test_event_stream_snapshot_then_resume_without_replaying(
    client: FlaskClient, floor: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for(floor, "canbo")
    auth = {"Authorization": f"Bearer {token}"}
    c1, c3 = counter_id(session, 1), counter_id(session, 3)
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    post(client, "/api/v1/tickets", {"service": "CUTRU"})
    snap = read_events(client.get("/api/v1/queue/events", buffered=False), 1)
    assert snap[0][0] == "snapshot"
    seen = snap[0][1]["id"]
    assert snap[0][1]["waiting"]["HOTICH"]["next"] == ["A001"]
    # While the display is away, two counters call, the first long enough ago (the window
    # is shortened for the test) to be news no more: shown on return, not announced again.
    monkeypatch.setattr(events, "ANNOUNCE_WINDOW", dt.timedelta(seconds=0.5))
    post(client, f"/api/v1/counters/{c1}/call-next", **auth)
    time.sleep(0.6)
    post(client, f"/api/v1/counters/{c3}/call-next", **auth)
    resumed = read_events(
        client.get("/api/v1/queue/events", headers={"Last-Event-ID": str(seen)}, buffered=False), 2
    )
    calls = [(e["kind"], e["number"], e["counter_number"], e["replay"]) for _n, e in resumed]
    assert calls == [("called", "A001", 1, True), ("called", "B001", 3, False)]
    assert [e["id"] for _n, e in resumed] == [seen + 1, seen + 2]
    assert resumed[0][1]["waiting"]["HOTICH"]["count"] == 0
    # A display for counter 3 only does not hear counter 1.
    only3 = read_events(
        client.get(f"/api/v1/queue/events?counters={c3}&after={seen}", buffered=False), 1
    )
    assert only3[0][1]["number"] == "B001"


def test_a_call_in_one_worker_reaches_the_displays_of_another_at_once(
    client: FlaskClient, floor: Flask, session: Session
) -> None:
    """Two hubs on one database, as two gunicorn workers hold them, both polling only every
    60 s: a call made through one reaches the other's streams all the same, by the doorbell."""
    factory = floor.extensions["kiosk.sessionmaker"]
    url = floor.config["DATABASE_URL"]
    mine = events.Hub(factory, interval=60, doorbell=doorbell.Doorbell.for_database(url))
    other = events.Hub(factory, interval=60, doorbell=doorbell.Doorbell.for_database(url))
    floor.extensions["kiosk.hub"] = mine  # the app's own (stopped by the fixture)
    try:
        mine.start()
        other.start()
        assert other.doorbell is not None and other.doorbell.path is not None
        after = other.last_id
        token = token_for(floor, "canbo")
        post(client, "/api/v1/tickets", {"service": "HOTICH"})
        called = post(client, f"/api/v1/counters/{counter_id(session, 1)}/call-next",
                      Authorization=f"Bearer {token}").get_json()  # fmt: skip
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10  # far below the 60 s poll
        while not any(e["kind"] == "called" for e in got) and time.monotonic() < deadline:
            batch = other.wait_after(after, deadline - time.monotonic()) or []
            got += batch
            after = batch[-1]["id"] if batch else after
        assert [(e["kind"], e["number"]) for e in got] == [
            ("issued", "A001"), ("called", called["number"])
        ]  # fmt: skip
    finally:
        other.stop()
    assert other.doorbell.path is None  # stopped: its socket left the folder


def test_the_doorbell_skips_and_removes_a_dead_hubs_socket(tmp_path: Any) -> None:
    import socket

    bell = doorbell.Doorbell(tmp_path / "bell")
    bell.ring()  # no folder yet: nobody to wake, no error
    live = bell.listen()
    assert live is not None and bell.path is not None
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(tmp_path / "bell" / "1-dead.sock"))
    dead.close()  # a worker killed before it could remove its file
    bell.ring()
    assert live.recv(8) == b"!"
    assert sorted(p.name for p in (tmp_path / "bell").iterdir()) == [bell.path.name]
    bell.close()
    assert not (tmp_path / "bell").exists()


def test_every_time_the_api_sends_carries_the_sites_offset(
    client: FlaskClient, floor: Flask
) -> None:
    """One rule for the whole API (kiosk/api `iso`): the queue's times as the dossiers'."""
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    snap = read_events(client.get("/api/v1/queue/events", buffered=False), 1)
    assert snap[0][0] == "snapshot" and snap[0][1]["at"].endswith("+07:00")
    ticket = post(client, "/api/v1/tickets", {"service": "HOTICH"}).get_json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", ticket["issued_at"])
    after = snap[0][1]["id"]
    issued = read_events(client.get(f"/api/v1/queue/events?after={after}", buffered=False), 1)
    assert issued[0][1]["kind"] == "issued" and issued[0][1]["at"].endswith("+07:00")


def test_display_page_and_spoken_call(client: FlaskClient, floor: Flask, session: Session) -> None:
    token = token_for(floor, "canbo")
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    post(client, f"/api/v1/counters/{counter_id(session, 2)}/call-next",
         Authorization=f"Bearer {token}")  # fmt: skip
    page = client.get("/office/display").get_data(as_text=True)
    assert 'id="now-number">A001<' in page and "Quầy 2" in page
    only = client.get("/office/display?services=CUTRU").get_data(as_text=True)
    assert "Quầy 3" in only and "Quầy 1<" not in only
    audio = client.get("/office/display/call.wav?number=A001&counter=2")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    with wave.open(io.BytesIO(audio.data)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 3  # chime (1.5 s) and the spoken call
    for bad in ("number=DROP&counter=2", "number=A001&counter=x", "number=A001&counter=0"):
        assert client.get(f"/office/display/call.wav?{bad}").status_code == 404


def test_the_display_shows_its_words_in_the_page_language(
    client: FlaskClient, floor: Flask, session: Session
) -> None:
    """display.js writes no word of its own: the page hands it each one, translated."""
    from pathlib import Path

    script = Path(floor.static_folder or "", "js", "display.js").read_text(encoding="utf-8")
    assert not [c for c in script if c.isalpha() and not c.isascii()]  # no Vietnamese word
    token = token_for(floor, "canbo")
    post(client, "/api/v1/tickets", {"service": "HOTICH"})
    post(client, f"/api/v1/counters/{counter_id(session, 2)}/call-next",
         Authorization=f"Bearer {token}")  # fmt: skip
    vi = client.get("/office/display").get_data(as_text=True)
    assert '<html lang="vi">' in vi and 'data-paused-text="Tạm dừng"' in vi
    assert 'data-to-counter="đến {counter}"' in vi and ">đến Quầy 2<" in vi
    client.get("/lang/en")
    en = client.get("/office/display").get_data(as_text=True)
    assert '<html lang="en">' in en and 'data-paused-text="Pause"' in en
    assert 'data-to-counter="to {counter}"' in en and ">to Quầy 2<" in en


def test_spoken_text_reads_the_number_for_the_ear() -> None:
    from kiosk.speech import announcement_text, spoken_text

    assert announcement_text("A015", 3) == "Mời công dân có số A015 đến quầy số 3"
    assert spoken_text("A015", 3) == "Mời công dân có số, a, không, một, năm, đến quầy số 3."
    assert "bê" in spoken_text("B102", 12)


def test_kiosk_refusal_is_shown_in_plain_words(floor: Flask, client: FlaskClient) -> None:
    token = csrf(client, "/kiosk/queue")
    r = client.post("/kiosk/queue", data={"csrf_token": token, "service": "KHONGCO", "key": "z"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/queue")
    page = client.get("/kiosk/queue").get_data(as_text=True)
    assert "Không có dịch vụ mã KHONGCO" in page
    # Not carried in the address: nobody can put words on the kiosk's screen with a link.
    forged = client.get("/kiosk/queue?error=KHONGCO").get_data(as_text=True)
    assert "alert-error" not in forged


def test_a_kiosk_prints_on_the_printer_assigned_to_it(
    floor: Flask, client: FlaskClient, session: Session, tmp_path: Any
) -> None:
    sign_in(client, "quanly", "mat-khau-dai-2")
    token = csrf(client, "/office/printers")
    bad = client.post("/office/printers",
                   data={"csrf_token": token, "code": "K1", "printer_url": "ftp://x"})  # fmt: skip
    assert bad.status_code == 400 and "máy in không hợp lệ" in bad.get_data(as_text=True)
    url = f"virtual://{tmp_path / 'instance' / 'k1'}"  # virtual printers live in the instance
    form = {"csrf_token": token, "code": "k1", "name": "Sảnh", "printer_url": url,
            "printer_profile": "POS-5890"}  # fmt: skip
    ok = client.post("/office/printers", data=form)
    assert ok.status_code == 302
    client.post("/office/logout", data={"csrf_token": csrf(client, "/office/")})
    assert client.get("/kiosk/station/NOPE").status_code == 404
    assert client.get("/kiosk/station/K1").status_code == 302
    token = csrf(client, "/kiosk/queue")
    client.post("/kiosk/queue", data={"csrf_token": token, "service": "HOTICH", "key": "s1"})
    job = session.scalar(select(PrintJob))
    assert job is not None and job.printer_url == url and job.profile == "POS-5890"
    # The office shows the printer and its waiting job, and can print it again.
    sign_in(client, "canbo", "mat-khau-dai-1")
    page = client.get("/office/printers").get_data(as_text=True)
    assert url in page and "Số A001" in page
    again = client.post(f"/office/printers/jobs/{job.id}/reprint",
                     data={"csrf_token": csrf(client, "/office/printers")})  # fmt: skip
    assert again.status_code == 302
    assert session.scalar(select(func.count()).select_from(PrintJob)) == 2


def test_a_display_too_far_behind_gets_the_state_not_the_backlog(
    floor: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "PREFILL", 1)
    monkeypatch.setattr(events, "MAX_REPLAY", 2)
    for _ in range(5):
        post(client, "/api/v1/tickets", {"service": "HOTICH"})
    far = read_events(client.get("/api/v1/queue/events?after=0", buffered=False), 1)
    assert far[0][0] == "snapshot" and far[0][1]["waiting"]["HOTICH"]["count"] == 5
    near = read_events(client.get("/api/v1/queue/events?after=4", buffered=False), 1)
    assert near[0][0] is None and near[0][1]["number"] == "A005"
