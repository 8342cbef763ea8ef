"""Fees through the screens: the kiosk's Thanh toán (amount, VietQR on screen and on the printed
fee slip, turning to "paid" when the bank's notification arrives), the code on the status page
while unpaid, the bank accounts and cash in the office, and the daily reconciliation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy.orm import Session
from vietnam_qr_pay import QRPay

from kiosk.domain import catalog, dossiers, money
from kiosk.domain.dossiers import workdays
from kiosk.domain.printing import render as render_job
from kiosk.models import AuditEntry, Payment, PrintJob, User
from printers.reader import read_escpos
from tests.builders import bank_pays, csrf, sign_in

SITE = "000.00.01.H29"


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


@pytest.fixture
def owed(floor: Flask, session: Session) -> dict[str, Any]:
    """A dossier owing 20,000 đ, an account collecting for the site, and BIDV's secret."""
    workdays.seed_calendar(session, [2026, 2027])
    manager = session.scalar(select(User).where(User.username == "quanly"))
    officer = session.scalar(select(User).where(User.username == "canbo"))
    money.add_account(session, agency=SITE, bank_bin="970418", number="1234567890",
                         holder="Trung tam PVHCC", actor=manager)  # fmt: skip
    proc = catalog.get_procedure(session, "1.004222")
    assert proc is not None
    applicant = dossiers.Applicant("Nguyễn Thị Hồng Nhung", "064185001234", None, "Nữ",
                                   "0905123456")  # fmt: skip
    d = dossiers.receive(session, proc, applicant, channel="direct", site_code=SITE,
                         actor=officer).dossier  # fmt: skip
    return {"code": d.code, "secret": money.rotate_secret(session, "BIDV")}


def test_paying_at_the_kiosk(owed: dict[str, Any], floor: Flask, session: Session) -> None:
    kiosk = floor.test_client()
    assert "Thanh toán" in text(kiosk.get("/kiosk/"))
    token = csrf(kiosk, "/kiosk/pay")
    wrong = kiosk.post("/kiosk/pay", data={"csrf_token": token, "code": owed["code"],
                                           "verify": "9999"})  # fmt: skip
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in text(wrong)
    scanned = f"http://kiosk.test/d/{owed['code']}"
    page = text(
        kiosk.post(
            "/kiosk/pay",
            data={"csrf_token": token, "code": scanned, "verify": "1234"},
            follow_redirects=True,
        )
    )
    assert "20.000 đ" in page and "Hai mươi nghìn đồng" in page and "<svg" in page
    payload = re.search(r'data-payload="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    payment = session.scalar(select(Payment))
    assert payment is not None and payment.payload == payload
    decoded = QRPay(payload)
    assert decoded.is_valid and decoded.amount == "20000"
    # The fee slip printed with the same code; opening the screen again prints nothing more.
    kiosk.post(
        "/kiosk/pay",
        data={"csrf_token": token, "code": owed["code"], "verify": "1234"},
        follow_redirects=True,
    )
    assert kiosk.get(f"/kiosk/pay/d/{owed['code']}").status_code == 200  # back, or a reload
    # Another session (the next citizen, a guessed address) is asked the code and fact again.
    other = floor.test_client().get(f"/kiosk/pay/d/{owed['code']}")
    assert other.status_code == 303 and other.headers["Location"].endswith(
        f"/kiosk/pay?code={owed['code']}"
    )
    jobs = session.scalars(select(PrintJob).where(PrintJob.kind == "fee")).all()
    assert len(jobs) == 1
    assert read_escpos(render_job(jobs[0])).qr_payloads == [payload]
    # The screen polls; the bank's notification turns it to paid. The kiosk cannot.
    status_url = f"/kiosk/pay/{payment.reference}/status"
    assert "Đang chờ ngân hàng" in text(kiosk.get(status_url))
    assert floor.test_client().get(status_url).status_code == 404  # another kiosk session
    assert bank_pays(kiosk, owed["secret"], payment.reference, 20000, "FT1").status_code == 200
    assert 'data-testid="paid"' in text(kiosk.get(status_url))
    again = {"csrf_token": token, "code": owed["code"], "verify": "1234"}
    done = text(kiosk.post("/kiosk/pay", data=again, follow_redirects=True))
    assert "đã nộp đủ phí" in done


def test_the_status_page_shows_the_code_while_unpaid(owed: dict[str, Any], floor: Flask) -> None:
    phone = floor.test_client()
    token = csrf(phone, f"/d/{owed['code']}")
    page = text(phone.post(f"/d/{owed['code']}", data={"csrf_token": token, "verify": "1234"}))
    assert 'id="fee-qr"' in page and "20.000 đ" in page
    reference = re.search(r"Nội dung: (HS\w+)", page).group(1)  # type: ignore[union-attr]
    bank_pays(phone, owed["secret"], reference, 20000, "FT2")
    assert 'id="fee-qr"' not in text(phone.get(f"/d/{owed['code']}"))


def test_accounts_cash_and_reconciliation_in_the_office(
    floor: Flask, owed: dict[str, Any], client: FlaskClient, session: Session
) -> None:
    sign_in(client, "canbo", "mat-khau-dai-1")
    assert client.get("/office/accounts").status_code == 403
    sign_in(client, "quanly", "mat-khau-dai-2")
    token = csrf(client, "/office/accounts")
    bad = client.post("/office/accounts", data={"csrf_token": token, "agency": SITE,
                   "bank_bin": "123456", "number": "1", "holder": "X"})  # fmt: skip
    assert bad.status_code == 400 and "BIN" in text(bad)
    ok = client.post("/office/accounts", data={"csrf_token": token, "agency": "UBND.XA",
                  "bank_bin": "970405", "number": "3900205", "holder": "UBND xã"})  # fmt: skip
    assert ok.status_code == 303 and "Agribank" in text(client.get("/office/accounts"))
    # One paid by the bank, one transfer with a wrong amount, then cash for a second dossier.
    fee = client.get(f"/api/v1/dossiers/{owed['code']}/payment?verify=1234").get_json()
    bank_pays(client, owed["secret"], fee["reference"], 2000, "FT-WRONG")
    bank_pays(client, owed["secret"], "HSUNKNOWN22", 20000, "FT-LOST")
    bank_pays(client, owed["secret"], fee["reference"], 20000, "FT-OK")
    page = text(client.get(f"/office/dossiers/{owed['code']}"))
    assert "đã nộp đủ" in page
    officer = session.scalar(select(User).where(User.username == "canbo"))
    proc = catalog.get_procedure(session, "1.004222")
    applicant = dossiers.Applicant("Trần Văn Bình", "052090001234", None, "Nam", "0912345678")
    second = dossiers.receive(session, proc, applicant, channel="direct",  # type: ignore[arg-type]
                              site_code=SITE, actor=officer).dossier  # fmt: skip
    token = csrf(client, f"/office/dossiers/{second.code}")
    wrong = client.post(f"/office/dossiers/{second.code}/cash", data={"csrf_token": token,
                                                                    "amount": "10000"})  # fmt: skip
    assert "đúng bằng" in text(client.get(wrong.headers["Location"]))
    client.post(f"/office/dossiers/{second.code}/cash", data={"csrf_token": token,
                                                          "amount": "20.000"})  # fmt: skip
    assert "đã nộp đủ" in text(client.get(f"/office/dossiers/{second.code}"))
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.cash"))
    assert entry is not None and entry.dossier_code == second.code
    report = text(client.get("/office/payments"))
    assert "Chuyển khoản không khớp mã nào" in report and "FT-WRONG" in report
    assert "FT-LOST" in report
    csv_text = text(client.get("/office/payments?format=csv"))
    rows = [line.split(",") for line in csv_text.lstrip("\ufeff").splitlines()]
    bidv = next(r for r in rows if r[1] == "1234567890")
    assert bidv[3:7] == ["1", "20000", "1", "20000"] and bidv[7] == "1"


def test_cash_at_a_counter_prints_on_that_counters_printer(
    owed: dict[str, Any], floor: Flask, client: FlaskClient, session: Session
) -> None:
    """The cash receipt comes out where the officer stands: the printer of the counter they
    work at now, else the site's default."""
    from kiosk.domain import queue
    from kiosk.models import Counter

    desk = session.scalar(select(Counter).where(Counter.number == 2))
    assert desk is not None
    there = f"virtual://{floor.instance_path}/quay-2"
    desk.printer_url = there
    session.commit()
    officer = session.scalar(select(User).where(User.username == "canbo"))
    assert officer is not None
    queue.sign_in_counter(session, desk.id, officer)
    sign_in(client, "canbo", "mat-khau-dai-1")
    token = csrf(client, f"/office/dossiers/{owed['code']}")
    r = client.post(f"/office/dossiers/{owed['code']}/cash", data={"csrf_token": token,
                                                                "amount": "20000"})  # fmt: skip
    assert r.status_code == 303
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "cash"))
    assert job is not None and job.printer_url == there


def test_the_demo_has_a_collecting_account_marked_as_a_demo(app: Flask, db_url: str) -> None:
    """After `kiosk demo` (as after `make run`) the kiosk's Thanh toán shows a VietQR code, not
    "pay at the counter": the demo has a collecting account, as it has demo users, and says
    what it is: its number is no bank's, its holder says not to transfer. Never in production."""
    from kiosk import create_app
    from kiosk.models import BankAccount

    runner = app.test_cli_runner()
    done = runner.invoke(args=["demo"])
    assert done.exit_code == 0, done.output
    s = app.extensions["kiosk.sessionmaker"]()
    officer = s.scalar(select(User).where(User.username == "canbo"))
    proc = catalog.get_procedure(s, "1.004222")
    assert proc is not None
    applicant = dossiers.Applicant("Nguyễn Thị Hồng Nhung", "064185001234", None, "Nữ",
                                   "0905123456")  # fmt: skip
    dossier = dossiers.receive(s, proc, applicant, channel="direct", site_code=SITE,
                               actor=officer).dossier  # fmt: skip
    code = dossier.code
    assert dossier.fee_vnd > 0
    kiosk = app.test_client()
    token = csrf(kiosk, "/kiosk/pay")
    paying = kiosk.post(
        "/kiosk/pay",
        data={"csrf_token": token, "code": code, "verify": "1234"},
        follow_redirects=True,
    )
    page = text(paying)
    assert paying.status_code == 200 and "<svg" in page, page
    assert "nộp tại quầy" not in page
    payload = re.search(r'data-payload="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    decoded = QRPay(payload)
    assert decoded.is_valid and decoded.consumer.bank_bin == "970418"
    assert decoded.consumer.bank_number == "DEMOKHONGCHUYENTIEN"
    assert "TAI KHOAN DEMO - KHONG CHUYEN TIEN" in page
    # Run again, it adds no second account; an account a manager entered is never replaced.
    manager = s.scalar(select(User).where(User.username == "quanly"))
    money.add_account(s, agency=SITE, bank_bin="970418", number="1234567890",
                         holder="Trung tam PVHCC", actor=manager)  # fmt: skip
    assert runner.invoke(args=["demo"]).exit_code == 0
    active = s.scalars(select(BankAccount.number).where(BankAccount.active)).all()
    assert active == ["1234567890"] and len(s.scalars(select(BankAccount)).all()) == 2
    s.close()
    # Production creates neither the demo users nor the demo account.
    prod = create_app({"TESTING": True, "ENV": "Production", "SECRET_KEY": "p" + "0123456789" * 4,
                       "DATABASE_URL": db_url, "INSTANCE_PATH": str(app.instance_path) + "-prod"},
                      commands=True)  # fmt: skip
    try:
        with prod.app_context():
            ps = prod.extensions["kiosk.sessionmaker"]()
            ps.execute(sa_delete(BankAccount))
            ps.commit()
            ps.close()
        refused = prod.test_cli_runner().invoke(args=["demo"])
        assert refused.exit_code == 0 and "không tạo tài khoản mẫu" in refused.output
        ps = prod.extensions["kiosk.sessionmaker"]()
        assert ps.scalars(select(BankAccount)).all() == []
        ps.close()
    finally:
        prod.extensions["kiosk.engine"].dispose()
