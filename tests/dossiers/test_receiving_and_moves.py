"""Dossiers on both engines: codes, due dates, idempotency, the lifecycle with a supplement
pausing the clock, the receipt's print job in the dossier's transaction, and refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.domain import dossiers, money
from kiosk.domain.accounts import Forbidden
from kiosk.domain.clock import VIETNAM
from kiosk.domain.dossiers import DossierState, TransitionRefused, uploads
from kiosk.domain.printing import Printer, render
from kiosk.models import Dossier, DossierEvent, DossierSequence, PrintJob, Upload, User
from printers.reader import read_escpos
from tests.builders import MONDAY_9, NHUNG, receive, sample_pdf, store_upload

S = DossierState
SITE = "000.00.01.H29"


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_dossier_received_at_the_counter(session: Session, staff: dict[str, User]) -> None:
    got = receive(session, staff)
    d = got.dossier
    assert got.created and d.code == f"{SITE}-261116-0001"
    assert d.status == S.ACCEPTED and d.fee_vnd == 20000 and d.channel == "direct"
    # Seven working days from Monday 9:00: Thursday 26/11 9:00 (Tuesday 24/11 is a day off).
    assert d.due_at == dt.datetime(2026, 11, 26, 2, 0)
    assert [e.to_status for e in d.events] == [S.ACCEPTED]
    assert receive(session, staff).dossier.code == f"{SITE}-261116-0002"
    # Another site, working apart, never mints the same code.
    other = receive(session, staff, site_code="000.00.02.H29").dossier
    assert other.code == "000.00.02.H29-261116-0001"


def test_a_repeated_request_creates_one_dossier(session: Session, staff: dict[str, User]) -> None:
    first = receive(session, staff, idempotency_key="quay-3-a")
    again = receive(session, staff, idempotency_key="quay-3-a")
    assert not again.created and again.dossier.id == first.dossier.id
    assert count(session, Dossier) == 1
    # The repeat used no number.
    assert receive(session, staff).dossier.code.endswith("-0002")


def test_bad_applicants_are_refused_field_by_field_and_nothing_is_stored(
    session: Session, staff: dict[str, User]
) -> None:
    wrong = dossiers.Applicant("", "064085001234", dt.date(1985, 3, 12), "Nữ", "12345")
    with pytest.raises(dossiers.DossierError) as refused:
        receive(session, staff, applicant=wrong)
    assert set(refused.value.errors) == {"full_name", "cccd", "phone"}
    assert "Số thứ 4" in refused.value.errors["cccd"]
    assert count(session, Dossier) == count(session, DossierSequence) == 0
    assert receive(session, staff).dossier.code.endswith("-0001")


def test_an_online_dossier_starts_its_clock_when_accepted(
    session: Session, staff: dict[str, User], tmp_path: Path
) -> None:
    up = store_upload(session, tmp_path, sample_pdf())
    wanted = uploads.Wanted("Đề nghị khai báo tạm vắng", up.id)
    papers = dossiers.Papers(files=(wanted,), owner="kiosk:test")
    d = receive(
        session, staff, channel="online", actor=None, code="1.003677", papers=papers
    ).dossier
    assert [u.document_name for u in session.scalars(select(Upload))] == [wanted.name]
    # Until accepted, the date it would be due if accepted when filed (Monday 9:00 + 1 day).
    assert d.status == S.REGISTERED and d.fee_vnd == 0
    assert d.due_at == dt.datetime(2026, 11, 17, 2, 0)
    # Accepted on Monday 23/11 at 10:00: one working day, Tuesday 24/11 off: Wednesday 25/11
    # at 10:00.
    accepted = dt.datetime(2026, 11, 23, 3, 0)
    dossiers.move(session, d, S.ACCEPTED, staff["processor"], now=accepted)
    assert d.due_at == dt.datetime(2026, 11, 25, 3, 0)


def test_the_lifecycle_with_a_supplement_pausing_the_clock(
    session: Session, staff: dict[str, User]
) -> None:
    d = receive(session, staff).dossier
    processor = staff["processor"]
    dossiers.move(session, d, S.PROCESSING, processor, now=MONDAY_9 + dt.timedelta(hours=1))
    # Tuesday 17/11 9:00: one working day used; the citizen must bring a paper.
    dossiers.move(session, d, S.SUPPLEMENT, processor, "Thiếu giấy tờ chứng minh chỗ ở",
                  now=dt.datetime(2026, 11, 17, 2, 0))  # fmt: skip
    assert dossiers.progress(d, dt.datetime(2026, 12, 30)) == "paused"
    # Back on Monday 23/11 at 14:00: six working days remain (48 h): 3 h that day, Tuesday
    # 24/11 off, 8 h on each day to Tuesday 1/12, and 5 h on Wednesday 2/12: 14:00.
    dossiers.move(session, d, S.PROCESSING, processor, "Đã bổ sung",
                  now=dt.datetime(2026, 11, 23, 7, 0))  # fmt: skip
    assert d.due_at == dt.datetime(2026, 12, 2, 7, 0)
    assert dossiers.progress(d, dt.datetime(2026, 12, 2, 6, 59)) == "within"
    assert dossiers.progress(d, dt.datetime(2026, 12, 2, 7, 1)) == "overdue"
    dossiers.move(session, d, S.RESOLVED, processor, now=dt.datetime(2026, 11, 30, 8, 0))
    assert dossiers.progress(d) == "early"
    if d.fee_vnd:  # the fee first: no hand-back while it is owed
        money.record_cash(session, d, staff["officer"], money.due_amount(session, d))
    dossiers.hand_back(session, d, staff["officer"], "Nguyễn Thị Hồng Nhung", "064185001234",
                       now=dt.datetime(2026, 12, 1, 2, 0))  # fmt: skip
    session.expire_all()
    stored = dossiers.find(session, d.code)
    assert stored is not None and stored.returned_at is not None
    assert [(e.from_status, e.to_status) for e in stored.events] == [
        ("", S.ACCEPTED), (S.ACCEPTED, S.PROCESSING), (S.PROCESSING, S.SUPPLEMENT),
        (S.SUPPLEMENT, S.PROCESSING), (S.PROCESSING, S.RESOLVED), (S.RESOLVED, S.RETURNED),
    ]  # fmt: skip
    assert stored.events[2].reason == "Thiếu giấy tờ chứng minh chỗ ở"
    assert all(e.actor_name for e in stored.events)


def test_impossible_moves_and_wrong_roles_are_refused(
    session: Session, staff: dict[str, User]
) -> None:
    d = receive(session, staff).dossier
    with pytest.raises(TransitionRefused, match="không thể chuyển"):
        dossiers.move(session, d, S.RETURNED, staff["processor"])
    with pytest.raises(TransitionRefused, match="Cần ghi lý do"):
        dossiers.move(session, d, S.STOPPED, staff["processor"], "  ")
    with pytest.raises(Forbidden):
        dossiers.move(session, d, S.PROCESSING, staff["officer"])
    session.expire_all()
    assert session.get(Dossier, d.id).status == S.ACCEPTED  # type: ignore[union-attr]
    assert count(session, DossierEvent) == 1
    assert dossiers.find(session, "'; DROP TABLE dossier; --") is None


def test_the_receipt_is_printed_from_the_dossiers_own_transaction(
    session: Session, staff: dict[str, User], tmp_path: Any
) -> None:
    spec = dossiers.ReceiptPrint(
        Printer(f"virtual://{tmp_path}", "TM-T20II"), "Trung tâm Phục vụ hành chính công",
        lambda code: f"http://kiosk.test/d/{code}", VIETNAM,
    )  # fmt: skip
    d = receive(
        session,
        staff,
        print_on=spec,
        papers=dossiers.Papers(on_paper=("Tờ khai thay đổi thông tin cư trú",)),
    ).dossier
    job = session.scalar(select(PrintJob))
    assert job is not None and job.kind == "receipt" and d.code in job.title
    back = read_escpos(render(job))
    assert back.qr_payloads == [f"http://kiosk.test/d/{d.code}"]
    # A failed receipt job leaves no dossier behind.
    broken = dossiers.ReceiptPrint(Printer(None, "x"), "x", str, VIETNAM)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - the job's INSERT fails, whatever the driver says
        receive(session, staff, print_on=broken)
    assert count(session, Dossier) == 1 and count(session, PrintJob) == 1


def test_a_dossier_counts_under_the_unit_that_resolves_it(
    session: Session, staff: dict[str, User]
) -> None:
    """The reports break the center down by department and commune: each dossier is given its
    unit when received (`kiosk.domain.units`), whoever receives it."""
    import dataclasses

    from kiosk.domain import places
    from kiosk.domain.reports import Period, UnitChoice, units
    from kiosk.domain.reports.period import period_report
    from kiosk.domain.units import unit_for

    # A commune-level procedure: the commune of the citizen's address.
    commune = receive(session, staff).dossier
    assert commune.unit == "21553"
    # Without an address there is no commune to name: the center itself.
    nowhere = dataclasses.replace(NHUNG, address={})
    assert receive(session, staff, applicant=nowhere).dossier.unit == SITE
    # A province-level procedure: the department of its field (judicial records: Sở Tư pháp).
    record = receive(session, staff, code="3.000333").dossier
    assert record.unit == "STP"
    # The rule itself: the form's address serves when the applicant gave none; an unknown
    # commune or a field no department claims counts under the center.
    form = {"noi_thuong_tru": {"commune_code": "21583", "detail": "Tổ 1"}}
    assert unit_for("xa", "Hộ tịch", SITE, fields=form) == "21583"
    assert unit_for("xa", "Hộ tịch", SITE, address={"commune_code": "99999"}) == SITE
    assert unit_for("tinh", "Một lĩnh vực khác", SITE) == SITE
    # The reports count them there, under names a manager reads.
    day = Period(dt.date(2026, 11, 16), dt.date(2026, 11, 16))
    counts = period_report(session, day, unit="21553", site_code=SITE, now=MONDAY_9)
    assert counts.received_direct == 1
    assert period_report(session, day, site_code=SITE, now=MONDAY_9).received_direct == 3
    named = places.get_commune("21553")
    assert named is not None
    choices = units(session, SITE, "Trung tâm")
    assert UnitChoice("21553", named.name, "commune") in choices
    assert UnitChoice("STP", "Sở Tư pháp", "department") in choices
