"""A branch's day in the agent portal (issue 11): the fee at the agent's desk (cash with a
printed receipt, or VietQR), receipts printed again, the supervisor's report, cash handed over,
the audit log and the branch's agents, and the office's page for branches. And isolation:
every portal page that names a dossier, a payment, an upload or an account answers another
branch's agent with the very 404 of a code that does not exist."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.printing import render as render_job
from kiosk.domain.text import format_vnd
from kiosk.models import AuditEntry, Branch, Payment, PrintJob, Remittance, User
from printers.reader import read_escpos
from tests.builders import (
    MISSING,
    admin,
    bank_pays,
    csrf,
    file_as,
    page_text,
    sample_pdf,
    sign_in,
    signed,
    supervisor,
    upload_as,
)

SITE = "000.00.01.H29"


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


def test_cash_at_the_agents_desk_prints_a_receipt_once(
    floor: Flask, filed: dict[str, Any], session: Session
) -> None:
    agent = signed(floor, "dl-bidv")
    code, fee = filed["code"], filed["fee"]
    page = text(agent.get(f"/agent/dossiers/{code}"))
    assert "Còn phải nộp" in page and f"{fee:,}".replace(",", ".") in page
    token = csrf(agent, f"/agent/dossiers/{code}")
    # A form posted without its CSRF token (from another site) does nothing.
    forged = agent.post(f"/agent/dossiers/{code}/cash", data={"amount": str(fee)})
    assert forged.status_code == 400
    wrong = agent.post(f"/agent/dossiers/{code}/cash", data={"csrf_token": token, "amount": "1"})
    assert f"đúng bằng số phải nộp: {format_vnd(fee)}." in text(
        agent.get(wrong.headers["Location"])
    )
    words = agent.post(f"/agent/dossiers/{code}/cash", data={"csrf_token": token,
                                                            "amount": "hai trăm"})  # fmt: skip
    assert "bằng số" in text(agent.get(words.headers["Location"]))
    assert session.scalar(select(Payment).where(Payment.method == "cash")) is None
    took = agent.post(f"/agent/dossiers/{code}/cash", data={"csrf_token": token,
                                                           "amount": str(fee)})  # fmt: skip
    # Money as everywhere else (`format_vnd`): "135.000 đ".
    assert f"Đã thu tiền mặt {format_vnd(fee)};" in text(agent.get(took.headers["Location"]))
    # A double tap: the fee is paid, nothing more is taken.
    again = agent.post(f"/agent/dossiers/{code}/cash", data={"csrf_token": token,
                                                            "amount": str(fee)})  # fmt: skip
    assert "không còn khoản phí" in text(agent.get(again.headers["Location"]))
    paid = session.scalars(select(Payment).where(Payment.method == "cash")).all()
    assert len(paid) == 1 and paid[0].status == "paid" and paid[0].amount_vnd == fee
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "cash"))
    assert job is not None and paid[0].reference in job.title
    data = json.loads(job.layout)["data"]
    assert data["place"] == "BIDV Chi nhánh Gia Lai" and data["collector"] == "Đại lý BIDV"
    back = read_escpos(render_job(job))
    assert back.qr_payloads == [f"http://kiosk.test/d/{code}"] or back.qr_payloads[0].endswith(
        f"/d/{code}")  # fmt: skip
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.cash"))
    assert entry is not None and entry.branch_code == "BIDV-GL" and entry.dossier_code == code
    assert "fee-paid" in text(agent.get(f"/agent/dossiers/{code}"))
    # The receipt again, and the dossier's receipt again.
    agent.post(f"/payments/{paid[0].reference}/receipt")
    r = agent.post(f"/agent/payments/{paid[0].reference}/receipt", data={"csrf_token": token})
    assert r.status_code == 303
    assert len(session.scalars(select(PrintJob).where(PrintJob.kind == "cash")).all()) == 2
    before = len(session.scalars(select(PrintJob).where(PrintJob.kind == "receipt")).all())
    agent.post(f"/agent/dossiers/{code}/receipt", data={"csrf_token": token})
    receipts = session.scalars(select(PrintJob).where(PrintJob.kind == "receipt")).all()
    assert len(receipts) == before + 1
    assert json.loads(receipts[-1].layout)["data"]["dossier_code"] == code


def test_vietqr_at_the_agents_desk_turns_paid_when_the_bank_says_so(
    floor: Flask, client: FlaskClient, filed: dict[str, Any], session: Session
) -> None:
    agent = signed(floor, "dl-bidv")
    code = filed["code"]
    token = csrf(agent, f"/agent/dossiers/{code}")
    agent.post(f"/agent/dossiers/{code}/vietqr", data={"csrf_token": token})
    page = text(agent.get(f"/agent/dossiers/{code}"))
    pending = session.scalar(select(Payment).where(Payment.status == "pending"))
    assert pending is not None and pending.reference in page and "<svg" in page
    assert 'hx-trigger="every 3s"' in page
    assert session.scalar(select(PrintJob).where(PrintJob.kind == "fee")) is not None
    paid = bank_pays(client, filed["secret"], pending.reference, filed["fee"], "FT-AG1")
    assert paid.status_code == 200
    block = text(agent.get(f"/agent/dossiers/{code}/fee"))
    assert "fee-paid" in block and "every 3s" not in block


def test_another_branch_gets_the_404_of_a_code_that_does_not_exist_on_every_portal_page(
    floor: Flask, filed: dict[str, Any], session: Session
) -> None:
    code = filed["code"]
    mine = signed(floor, "dl-bidv")
    token = csrf(mine, "/agent/dossiers")
    mine.post(f"/agent/dossiers/{code}/cash", data={"csrf_token": token,
                                                    "amount": str(filed["fee"])})  # fmt: skip
    reference = session.scalar(select(Payment.reference).where(Payment.method == "cash"))
    unfiled = upload_via_portal(mine, token)
    bidv_agent = session.scalar(select(User).where(User.username == "dl-bidv"))
    assert bidv_agent is not None
    theirs = signed(floor, "dl-agr")
    their_token = csrf(theirs, "/agent/dossiers")
    form = {"csrf_token": their_token, "amount": str(filed["fee"]), "receiver": "X",
            "id_checked": "064185001234", "active": "0"}  # fmt: skip
    pairs = [  # (method, this branch's URL, the same URL with something that does not exist)
        ("get", f"/agent/dossiers/{code}", f"/agent/dossiers/{MISSING}"),
        ("get", f"/agent/dossiers/{code}/fee", f"/agent/dossiers/{MISSING}/fee"),
        ("post", f"/agent/dossiers/{code}/cash", f"/agent/dossiers/{MISSING}/cash"),
        ("post", f"/agent/dossiers/{code}/vietqr", f"/agent/dossiers/{MISSING}/vietqr"),
        ("post", f"/agent/dossiers/{code}/receipt", f"/agent/dossiers/{MISSING}/receipt"),
        ("post", f"/agent/dossiers/{code}/hand-back", f"/agent/dossiers/{MISSING}/hand-back"),
        ("post", f"/agent/payments/{reference}/receipt", "/agent/payments/HSAAAAAAAAAA/receipt"),
        ("get", f"/agent/uploads/{unfiled}/thumb", "/agent/uploads/0000/thumb"),
        ("post", f"/agent/team/{bidv_agent.id}/active", "/agent/team/999999/active"),
    ]
    for method, theirs_url, missing_url in pairs:
        got = getattr(theirs, method)(theirs_url, data=form)
        nothing = getattr(theirs, method)(missing_url, data=form)
        assert got.status_code == nothing.status_code == 404, (theirs_url, got.status_code)
        seen = page_text(got).replace(theirs_url, "")
        assert seen == page_text(nothing).replace(missing_url, ""), theirs_url
    # Nothing was done: no second payment, no QR, no print, still one paid.
    assert len(session.scalars(select(Payment)).all()) == 1
    session.expire_all()
    assert session.scalar(select(User.active).where(User.username == "dl-bidv")) is True
    # Their worklist, and the API, do not have it either.
    assert code not in text(theirs.get("/agent/dossiers"))
    # The agent's own pages answer; a center's account without agent.work is refused.
    assert mine.get(f"/agent/dossiers/{code}").status_code == 200
    officer = signed(floor, "canbo", "mat-khau-dai-1")
    assert officer.get(f"/agent/dossiers/{code}").status_code == 403


def upload_via_portal(client: FlaskClient, token: str) -> str:
    import io

    r = client.post("/agent/uploads", data={"file": (io.BytesIO(sample_pdf()), "a.pdf")},
                    headers={"X-CSRFToken": token}, content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201
    return str(r.get_json()["id"])


def test_the_supervisors_report_cash_handed_over_once_and_the_branch_audit_log(
    floor: Flask, client: FlaskClient, filed: dict[str, Any],
    branches: dict[str, dict[str, str]], session: Session,
) -> None:  # fmt: skip
    agent = signed(floor, "dl-bidv")
    token = csrf(agent, "/agent/dossiers")
    cash = {"csrf_token": token, "amount": str(filed["fee"])}
    agent.post(f"/agent/dossiers/{filed['code']}/cash", data=cash)
    # Another branch's work counts in its own report only.
    agr = branches["dl-agr"]
    file_as(client, agr, upload_as(client, agr))
    # An agent has no supervisor's pages.
    for url in ("/agent/reports", "/agent/audit", "/agent/team"):
        assert agent.get(url).status_code == 403
    boss = supervisor(floor, session)
    page = text(boss.get("/agent/reports"))
    fee = f"{filed['fee']:,}".replace(",", ".")
    assert re.search(r'data-testid="dossier-total">1<', page)
    assert re.search(rf'data-testid="cash">{fee} đ<', page)
    assert re.search(rf'data-testid="held">{fee} đ', page)
    assert "<svg" in page and "Đại lý BIDV" in page
    csv_rows = text(boss.get("/agent/reports?table=agents")).lstrip("\ufeff").splitlines()
    assert csv_rows == ["dai_ly,so_ho_so,so_khoan_tien_mat,tien_mat_vnd",
                        f"Đại lý BIDV,1,1,{filed['fee']}"]  # fmt: skip
    assert boss.get("/agent/reports?table=nothing").status_code == 404
    bad = text(boss.get("/agent/reports?from=2026-13-01"))
    assert "YYYY-MM-DD" in bad
    # Cash handed over: claimed once; a second press finds nothing left.
    token = csrf(boss, "/agent/reports")
    boss.post("/agent/remittances", data={"csrf_token": token, "reference": "FT2611230001"})
    again = boss.post("/agent/remittances", data={"csrf_token": token, "reference": "FT2"})
    assert "không còn khoản tiền mặt" in text(boss.get(again.headers["Location"]))
    rows = session.scalars(select(Remittance)).all()
    assert [(r.amount_vnd, r.payments, r.branch_code) for r in rows] == [
        (filed["fee"], 1, "BIDV-GL")]  # fmt: skip
    page = text(boss.get("/agent/reports"))
    assert re.search(rf'data-testid="remitted">{fee} đ<', page)
    assert re.search(r'data-testid="held">0 đ', page)
    # The audit log: this branch's entries, none of the other's.
    log = text(boss.get("/agent/audit"))
    for action in ("dossier.file", "payment.cash", "cash.remit"):
        assert f'data-action="{action}"' in log
    theirs = session.scalar(select(AuditEntry).where(AuditEntry.branch_code == "AGR-GL"))
    assert theirs is not None and theirs.dossier_code not in log
    csv_log = text(boss.get("/agent/audit?format=csv&action=payment.cash"))
    assert csv_log.lstrip("\ufeff").splitlines()[1].count(filed["code"]) == 1
    # The other branch's supervisor sees none of it.
    other = supervisor(floor, session, "ks-agr", "AGR-GL")
    other_log = text(other.get("/agent/audit"))
    assert 'data-action="cash.remit"' not in other_log, other_log[other_log.find("<tbody") :]
    assert filed["code"] not in other_log, other_log[other_log.find("<tbody") :]
    assert "Đại lý BIDV" not in text(other.get("/agent/reports"))


def test_a_supervisor_manages_their_own_branchs_agents_only(
    floor: Flask,
    branches: dict[str, dict[str, str]],
    session: Session,
) -> None:
    boss = supervisor(floor, session)
    token = csrf(boss, "/agent/team")
    new_agent = {"csrf_token": token, "username": "dl-moi", "full_name": "Đại lý mới"}
    short = boss.post("/agent/team", data={**new_agent, "password": "ngan"})
    assert short.status_code == 400 and "ít nhất 8" in text(short)
    made = boss.post(
        "/agent/team",
        data={
            "csrf_token": token,
            "username": "dl-moi",
            "full_name": "Đại lý mới",
            "password": "mat-khau-dai-9",
        },
    )
    assert made.status_code == 303
    new = session.scalar(select(User).where(User.username == "dl-moi"))
    assert new is not None and new.role == "agent" and new.branch_code == "BIDV-GL"
    # Lock them: they can no longer sign in; unlock.
    boss.post(f"/agent/team/{new.id}/active", data={"csrf_token": token, "active": "0"})
    assert sign_in(floor.test_client(), "dl-moi", "mat-khau-dai-9").status_code != 302
    boss.post(f"/agent/team/{new.id}/active", data={"csrf_token": token, "active": "1"})
    assert sign_in(floor.test_client(), "dl-moi", "mat-khau-dai-9").status_code == 302
    # Another branch's agent: 404; an account of the center: 404; themselves: refused.
    agr = session.scalar(select(User).where(User.username == "dl-agr"))
    officer = session.scalar(select(User).where(User.username == "canbo"))
    me = session.scalar(select(User).where(User.username == "ks-bidv"))
    assert agr is not None and officer is not None and me is not None
    for other in (agr, officer):
        r = boss.post(f"/agent/team/{other.id}/active", data={"csrf_token": token, "active": "0"})
        assert r.status_code == 404
    boss.post(f"/agent/team/{me.id}/active", data={"csrf_token": token, "active": "0"})
    session.expire_all()
    assert all(u.active for u in session.scalars(select(User)))
    entries = [e.action for e in session.scalars(select(AuditEntry))]
    assert entries.count("user.create") == 1 and "user.lock" in entries


def test_the_admin_creates_branches_and_their_people_in_the_office(
    floor: Flask, session: Session
) -> None:
    manager = signed(floor, "quanly", "mat-khau-dai-2")
    assert manager.get("/office/branches").status_code == 403
    assert manager.get("/office/audit").status_code == 403
    office = admin(floor, session)
    token = csrf(office, "/office/branches")
    bad = office.post("/office/branches", data={"csrf_token": token, "what": "branch",
                     "bank": "NOBANK", "code": "X-1", "name": "Không có"})  # fmt: skip
    assert bad.status_code == 400 and "NAPAS" in text(bad)
    ok = office.post("/office/branches", data={"csrf_token": token, "what": "branch",
                    "bank": "AGRIBANK", "code": "agr-pk", "name": "Agribank Pleiku"})  # fmt: skip
    assert ok.status_code == 303
    person = office.post(
        "/office/branches",
        data={
            "csrf_token": token,
            "what": "user",
            "branch": "AGR-PK",
            "role": "supervisor",
            "username": "ks-pk",
            "full_name": "Kiểm soát Pleiku",
            "password": "mat-khau-dai-9",
        },
    )
    assert person.status_code == 303
    admin_role = office.post(
        "/office/branches",
        data={
            "csrf_token": token,
            "what": "user",
            "branch": "AGR-PK",
            "role": "admin",
            "username": "x-admin",
            "full_name": "X",
            "password": "mat-khau-dai-9",
        },
    )
    assert admin_role.status_code == 400
    listing = text(office.get("/office/branches"))
    assert "Agribank Pleiku" in listing and "AGR-PK" in listing
    log = text(office.get("/office/audit"))
    assert 'data-action="branch.create"' in log and 'data-action="user.create"' in log


def test_report_csv_cannot_carry_a_spreadsheet_formula(
    floor: Flask, filed: dict[str, Any], session: Session
) -> None:
    agent = session.scalar(select(User).where(User.username == "dl-bidv"))
    assert agent is not None
    agent.full_name = '=HYPERLINK("http://evil")'
    session.commit()
    boss = supervisor(floor, session)
    rows = text(boss.get("/agent/reports?table=agents")).lstrip("\ufeff").splitlines()
    assert rows[1].startswith("\"'=HYPERLINK")


def test_a_branch_prints_on_its_own_printer_set_by_the_admin(
    floor: Flask, filed: dict[str, Any], session: Session
) -> None:
    """The admin gives a branch its receipt printer in /office/branches, under the same rules
    as a counter's (no file outside a printer device, no port but a printer's); the branch's
    receipts then print there, and the spooler's page shows that printer."""
    office = admin(floor, session)
    token = csrf(office, "/office/branches")

    def set_printer(url: str, profile: str = "", branch: str = "BIDV-GL") -> Any:
        return office.post("/office/branches", data={
            "csrf_token": token, "what": "printer", "branch": branch, "printer_url": url,
            "printer_profile": profile})  # fmt: skip

    for url, why in (("file:///etc/passwd", "thiết bị máy in"),
                     ("tcp://127.0.0.1:5432", "cổng 5432 không được phép"),
                     ("virtual:///etc/cron.d", "chỉ được ghi trong thư mục"),
                     ("ftp://10.0.0.9", "không hợp lệ")):  # fmt: skip
        r = set_printer(url)
        assert r.status_code == 400 and why in text(r), url
    r = set_printer("tcp://10.1.2.3:9100", "NO-SUCH-MODEL")
    assert r.status_code == 400 and "Không biết mẫu máy in" in text(r)
    assert set_printer("tcp://10.1.2.3:9100", branch="NOPE").status_code == 400
    session.expire_all()
    assert session.scalar(select(Branch.printer_url).where(Branch.code == "BIDV-GL")) == ""
    # An agent cannot set it.
    agent = signed(floor, "dl-bidv")
    forbidden = agent.post("/office/branches", data={"csrf_token": csrf(agent, "/agent/"),
                           "what": "printer", "branch": "BIDV-GL", "printer_url": ""})  # fmt: skip
    assert forbidden.status_code == 403
    there = f"virtual://{floor.instance_path}/bidv-gl"
    assert set_printer(there, "TM-T88V").status_code == 303
    assert there in text(office.get("/office/branches"))
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "branch.printer"))
    assert entry is not None and entry.branch_code == "BIDV-GL" and entry.detail == there
    # The branch's receipts now print there, on that model.
    code = filed["code"]
    r = agent.post(f"/agent/dossiers/{code}/receipt",
                   data={"csrf_token": csrf(agent, f"/agent/dossiers/{code}")})  # fmt: skip
    assert r.status_code == 303
    jobs = session.scalars(select(PrintJob).where(PrintJob.printer_url == there)).all()
    assert [(j.kind, j.profile) for j in jobs] == [("receipt", "TM-T88V")]
    assert there in text(office.get("/office/printers"))
    # Cleared, the branch prints on the site's default again.
    assert set_printer("").status_code == 303
    agent.post(f"/agent/dossiers/{code}/receipt",
               data={"csrf_token": csrf(agent, f"/agent/dossiers/{code}")})  # fmt: skip
    receipts = session.scalars(select(PrintJob).where(PrintJob.kind == "receipt")).all()
    assert len(receipts) == 2 and sum(j.printer_url == there for j in receipts) == 1
    # And by command, under the same rules.
    runner = floor.test_cli_runner()
    refused = runner.invoke(args=["branches", "printer", "BIDV-GL", "tcp://127.0.0.1:5432"])
    assert refused.exit_code != 0 and "cổng 5432 không được phép" in refused.output
    done = runner.invoke(args=["branches", "printer", "bidv-gl", "tcp://10.1.2.3:9100",
                               "--profile", "TM-T20II"])  # fmt: skip
    assert done.exit_code == 0 and "tcp://10.1.2.3:9100" in done.output
    session.expire_all()
    assert session.get(Branch, "BIDV-GL").printer_url == "tcp://10.1.2.3:9100"  # type: ignore[union-attr]
