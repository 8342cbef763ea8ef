"""Realistic print-outs with made-up data, for previews (`kiosk printer preview`), test pages
and the tests of this package."""

from __future__ import annotations

import datetime as dt

from . import printouts
from .page import Job


def sample_job(kind: str, width: int, site_name: str, now: dt.datetime | None = None) -> Job:
    """A realistic print-out of `kind` (ticket, receipt, fee, cash, apology, authorization)
    for previews, dated `now` (this minute by default), drawn by its kind's layout."""
    return printouts.draw(sample_data(kind, site_name, now), width)


def sample_data(kind: str, site_name: str, now: dt.datetime | None = None) -> printouts.Data:
    """Made-up data of a print-out of `kind` (`printouts.PRINTOUTS`), dated `now`."""
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    if kind == "ticket":
        return printouts.TicketData(
            site_name=site_name,
            service="Cư trú, căn cước",
            number="A015",
            people_ahead=7,
            issued_at=now,
            url="http://127.0.0.1:8000/t/8Hq2x9ZkT4",
            estimated_wait_minutes=12,
        )
    if kind == "receipt":
        return printouts.ReceiptData(
            site_name=site_name,
            dossier_code="000.00.01.H29-261122-0001",
            procedure="Đăng ký thường trú",
            applicant="Nguyễn Thị Hồng Nhung",
            documents=[
                "Tờ khai thay đổi thông tin cư trú (CT01)",
                "Giấy tờ chứng minh chỗ ở hợp pháp (bản sao)",
            ],
            received_at=now,
            due_date=now.date() + dt.timedelta(days=9),
            status_url="http://127.0.0.1:8000/hs/000.00.01.H29-261122-0001",
            officer="Trần Văn Bình",
            fee_vnd=20000,
        )
    if kind == "fee":
        return printouts.FeeData(
            site_name=site_name,
            dossier_code="000.00.01.H29-261122-0002",
            procedure="Đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
            payer="Lê Quốc Việt",
            amount_vnd=135000,
            vietqr_payload="00020101021238570010A000000727012700069704180113123456789000208QRIBFTTA53037045406135000"
            "5802VN62290825HS 000.00.01.H29-2611226304ABCD",
            bank_name="BIDV",
            account_number="1234567890",
            account_name="TRUNG TAM PHUC VU HANH CHINH CONG TINH GIA LAI",
            issued_at=now,
        )
    if kind == "cash":
        return printouts.CashData(
            site_name=site_name,
            place="BIDV Chi nhánh Gia Lai",
            reference="HS7K3M9QX2PA",
            dossier_code="000.00.01.H29-261122-0003",
            procedure="Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
            payer="Nguyễn Thị Hồng Nhung",
            amount_vnd=200000,
            collector="Võ Thị Mai",
            paid_at=now,
            status_url="http://127.0.0.1:8000/d/000.00.01.H29-261122-0003",
        )
    if kind == "apology":
        return printouts.ApologyData(
            site_name=site_name,
            dossier_code="000.00.01.H29-261110-0014",
            procedure="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
            applicant="Phạm Văn Đức",
            original_due=now.date(),
            new_due=now.date() + dt.timedelta(days=5),
            reason="Cần xác minh thêm hiện trạng thửa đất",
            issued_at=now,
            officer="Trần Văn Bình",
        )
    if kind == "authorization":
        return sample_authorization(site_name, now)
    raise ValueError(f"unknown print-out {kind!r}")


def sample_authorization(
    site_name: str, now: dt.datetime | None = None
) -> printouts.AuthorizationData:
    """A citizen's authorization of a BIDV branch, for previews and the A4 sample."""
    now = now or dt.datetime.now().replace(microsecond=0)
    return printouts.AuthorizationData(
        site_name=site_name,
        branch_name="BIDV Chi nhánh Gia Lai",
        agent="Võ Thị Mai",
        citizen="Nguyễn Thị Hồng Nhung",
        cccd="064185001234",
        birth_date=dt.date(1985, 3, 12),
        address="Tổ 3, Phường Quy Nhơn, Gia Lai",
        phone="0905123456",
        procedure="Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
        procedure_code="3.000333",
        reference="UQ-BIDVGL-7K3M9Q",
        issued_at=now,
    )
