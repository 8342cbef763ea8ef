"""Dossiers in the office: Tiếp nhận hồ sơ from the called ticket, the worklist with overdue and
due-soon first, moves with the digitized result, the apology (form 04) printed with its new
date, staff-only files, and the counter tablet's rating after the call ends."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.accounts import create_user
from kiosk.domain.dossiers import workdays
from kiosk.domain.printing import render as render_job
from kiosk.models import Dossier, PrintJob, Rating, Ticket, Upload
from printers.reader import read_escpos
from tests.builders import counter_id, csrf, receive_at_counter, sample_pdf, sign_in, token_for


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


@pytest.fixture
def office(floor: Flask, session: Session) -> FlaskClient:
    workdays.seed_calendar(session, [2026, 2027])
    create_user(session, "xuly", "mat-khau-dai-4", "processor", "Lê Thị Hà")
    return floor.test_client()


def test_an_officer_reuses_a_citizens_digitized_papers_with_consent(
    office: FlaskClient, session: Session, floor: Flask
) -> None:
    """Reuse is offered at the counter, where the officer sees the card and its holder: the
    papers of the citizen's earlier dossier (filed at the kiosk) are offered after the card is
    scanned, and attached only with the citizen's consent, sharing the stored file."""
    from tests.builders import LLTP, SCAN, form_data, kupload

    kiosk = floor.test_client()
    token = csrf(kiosk, f"/kiosk/file/{LLTP}")
    ids = [kupload(kiosk, sample_pdf(), token).get_json()["id"] for _ in range(2)]
    r = kiosk.post(f"/kiosk/file/{LLTP}", data={**form_data(token, ids), "step": "submit"})
    assert r.status_code == 303
    sign_in(office, "canbo", "mat-khau-dai-1")
    cid = counter_id(session, 1)
    token = csrf(office, f"/office/counters/{cid}")
    office.post(f"/office/counters/{cid}/sign-in", data={"csrf_token": token})
    url = f"/office/counters/{cid}/receive/{LLTP}"
    values = {"csrf_token": token, "idempotency_key": uuid.uuid4().hex,
              "f.loai_phieu": "Phiếu số 1"}  # fmt: skip
    page = text(office.post(f"{url}/scan", data={**values, "scan": SCAN}))
    assert page.count("Tôi đồng ý dùng lại bản đã số hóa") == 2
    offered = re.findall(r'name="reuse\.(\d)" value="([^"]+)"', page)
    assert sorted(v for _, v in offered) == sorted(ids)
    scanned = {k: v for k, v in form_data("", ["", ""]).items() if k.startswith("a.")}
    # Someone with another birth date is offered nothing.
    stranger = text(office.post(f"{url}/scan", data={**values, "scan": SCAN.replace(
        "12031985", "12031986")}))  # fmt: skip
    assert "dùng lại bản đã số hóa" not in stranger
    reuse = {f"reuse.{i}": v for i, v in offered}
    r = office.post(url, data={**values, **scanned, **reuse})
    assert r.status_code == 422 and "Cần ông/bà đồng ý" in text(r)
    consent = {"consent.0": "on", "consent.1": "on"}
    r = office.post(url, data={**values, **scanned, **reuse, **consent})
    assert r.status_code == 303, text(r)
    reused = session.scalars(select(Upload).where(Upload.reused_from_id.is_not(None))).all()
    assert len(reused) == 2 and all(u.dossier_id for u in reused)
    originals = {u.id: u.stored_name for u in session.scalars(select(Upload))}
    assert {u.stored_name for u in reused} == {originals[u.reused_from_id] for u in reused}


def test_receiving_at_the_counter_links_the_ticket_and_prints(
    floor: Flask, office: FlaskClient, session: Session
) -> None:
    code = receive_at_counter(office, session)
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None and d.channel == "direct" and d.status == "accepted"
    ticket = session.get(Ticket, d.ticket_id)
    assert ticket is not None and ticket.number == "A001"
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "receipt"))
    assert job is not None
    back = read_escpos(render_job(job))
    assert back.qr_payloads == [f"http://kiosk.test/d/{code}"]


def test_the_worklist_puts_overdue_and_due_soon_first(
    floor: Flask, office: FlaskClient, session: Session
) -> None:
    receive_at_counter(office, session)
    receive_at_counter(office, session)
    late, soon = session.scalars(select(Dossier).order_by(Dossier.code)).all()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    late.due_at = now - dt.timedelta(hours=3)
    soon.due_at = now + dt.timedelta(hours=20)
    session.commit()
    sign_in(office, "xuly", "mat-khau-dai-4")
    assert office.get("/office/").headers["Location"].endswith("/office/dossiers")
    page = text(office.get("/office/dossiers"))
    assert page.index(late.code) < page.index(soon.code)
    assert 'class="row-overdue"' in page and 'class="row-soon"' in page
    assert soon.code not in text(office.get("/office/dossiers?show=overdue"))


def test_processing_to_resolved_with_the_result_and_an_apology(
    office: FlaskClient, session: Session, floor: Flask
) -> None:
    code = receive_at_counter(office, session)
    sign_in(office, "xuly", "mat-khau-dai-4")
    token = csrf(office, f"/office/dossiers/{code}")
    move = f"/office/dossiers/{code}/move"
    office.post(move, data={"csrf_token": token, "to": "processing"})
    # The apology: a new date after the due date, printed on form 04.
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None and d.due_at is not None
    cal = workdays.load_calendar(session)
    new = cal.next_working_day(d.due_at.date() + dt.timedelta(days=3))
    r = office.post(f"/office/dossiers/{code}/apology",
                    data={"csrf_token": token, "new_date": new.isoformat(),
                          "reason": "Chờ kết quả xác minh từ tỉnh khác"})  # fmt: skip
    assert r.status_code == 303
    page = text(office.get(f"/office/dossiers/{code}"))
    assert "hẹn lại ngày" in page and new.strftime("%d/%m/%Y") in page
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "apology"))
    assert job is not None
    back = read_escpos(render_job(job))
    assert back.qr_payloads == [f"http://kiosk.test/d/{code}"]
    # Resolving asks for the digitized result, in Vietnamese from the server (no browser
    # popup in its own language: the form is `novalidate`).
    resolve = page.split('class="btn file-btn"')[0].rsplit("<form", 1)[1]
    assert "novalidate" in resolve and 'enctype="multipart/form-data"' in resolve
    r = office.post(move, data={"csrf_token": token, "to": "resolved"})
    assert "Đính kèm kết quả đã số hóa" in text(office.get(f"/office/dossiers/{code}"))
    r = office.post(move, data={"csrf_token": token, "to": "resolved",
                                "file": (io.BytesIO(sample_pdf()), "ket-qua.pdf")},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 303
    page = text(office.get(f"/office/dossiers/{code}"))
    assert 'data-testid="dossier-status">Đã có kết quả<' in page and "Trước hạn" in page
    result = session.scalar(select(Upload).where(Upload.document_name == "ket_qua"))
    assert result is not None
    # Files are for staff: a citizen's browser gets nothing.
    served = office.get(f"/office/uploads/{result.id}/file")
    assert served.status_code == 200 and served.data[:5] == b"%PDF-"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    served.close()
    citizen = floor.test_client()
    assert citizen.get(f"/office/uploads/{result.id}/file").status_code == 302  # to sign-in
    assert citizen.get(f"/kiosk/uploads/{result.id}/thumb").status_code == 404
    # The citizen's status page shows the new date and "Đã có kết quả".
    ptoken = csrf(citizen, f"/d/{code}")
    status = text(citizen.post(f"/d/{code}", data={"csrf_token": ptoken, "verify": "5678"}))
    assert "Đã có kết quả" in status and new.strftime("%d/%m/%Y") in status
    assert "Trước hạn" in status


def test_impossible_moves_are_refused_with_a_message(
    floor: Flask, office: FlaskClient, session: Session
) -> None:
    code = receive_at_counter(office, session)
    token = csrf(office, f"/office/dossiers/{code}")
    # The counter officer may read but not process.
    r = office.post(f"/office/dossiers/{code}/move", data={"csrf_token": token, "to": "processing"})
    assert r.status_code == 403
    sign_in(office, "xuly", "mat-khau-dai-4")
    token = csrf(office, f"/office/dossiers/{code}")
    office.post(f"/office/dossiers/{code}/move", data={"csrf_token": token, "to": "returned"})
    page = text(office.get(f"/office/dossiers/{code}"))
    assert "không thể chuyển sang" in page
    office.post(f"/office/dossiers/{code}/move", data={"csrf_token": token, "to": "supplement"})
    assert "Cần ghi lý do" in text(office.get(f"/office/dossiers/{code}"))


def test_the_counter_tablet_rates_the_visit_after_the_call(
    floor: Flask, office: FlaskClient, session: Session
) -> None:
    office.post("/api/v1/tickets", json={"service": "HOTICH"})
    sign_in(office, "canbo", "mat-khau-dai-1")
    cid = counter_id(session, 1)
    token = csrf(office, f"/office/counters/{cid}")
    for action in ("sign-in", "call-next", "start", "finish"):
        office.post(f"/office/counters/{cid}/{action}", data={"csrf_token": token})
    tablet = text(office.get(f"/office/counters/{cid}/tablet"))
    assert "Ông/bà số A001 hài lòng" in tablet
    r = office.post(f"/office/counters/{cid}/tablet",
                    data={"csrf_token": token, "score": "5", "reasons": ["thai_do"]})  # fmt: skip
    assert "Cảm ơn ông/bà đã đánh giá!" in text(r)
    rating = session.scalar(select(Rating))
    assert rating is not None and rating.score == 5 and rating.source == "counter"


def test_a_manager_moves_a_day_and_due_dates_follow(
    floor: Flask, office: FlaskClient, session: Session
) -> None:
    sign_in(office, "quanly", "mat-khau-dai-2")
    token = csrf(office, "/office/calendar?year=2026")
    page = text(office.get("/office/calendar?year=2026"))
    assert "02/09/2026" in page  # National Day, from the holidays package
    r = office.post("/office/calendar", data={"csrf_token": token, "day": "2026-11-19",
                                              "kind": "off", "name": "Nghỉ bù"})  # fmt: skip
    assert r.status_code == 200 and "Đã lưu ngày 19/11/2026" in text(r)
    assert not workdays.load_calendar(session).is_working_day(dt.date(2026, 11, 19))
    bad = office.post("/office/calendar", data={"csrf_token": token, "day": "2026-13-40",
                                                "kind": "off"})  # fmt: skip
    assert bad.status_code == 400 and "Ngày không hợp lệ." in text(bad)
    # An officer may not.
    sign_in(office, "canbo", "mat-khau-dai-1")
    assert office.get("/office/calendar").status_code == 403


def test_every_read_of_a_dossier_by_staff_is_in_the_audit_log(
    office: FlaskClient, session: Session, floor: Flask
) -> None:
    from pathlib import Path

    from kiosk.models import AuditEntry

    code = receive_at_counter(office, session)
    office.get(f"/office/dossiers/{code}")
    bearer = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
    assert office.get(f"/api/v1/dossiers/{code}", headers=bearer).status_code == 200
    views = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "dossier.view").order_by(AuditEntry.id)
    ).all()
    assert [(v.dossier_code, v.actor_name) for v in views][-3:] == [
        (code, "Nguyễn Thị Hoa"), (code, "Nguyễn Thị Hoa"), (code, "Trần Văn Minh")
    ]  # fmt: skip
    # Append-only: no code updates or deletes an entry.
    root = Path(__file__).resolve().parent.parent.parent / "kiosk"
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for verb in ("update(AuditEntry", "delete(AuditEntry", "audit_log SET", "FROM audit_log"):
            assert verb not in source, f"{path}: {verb}"
