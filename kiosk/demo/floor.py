"""The demo floor: four services and five counters, as a center of a province might open with
(`kiosk demo`, the tests' floor, the benchmarks)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Counter, Service

DEMO_SERVICES = [
    ("HOTICH", "A", "Hộ tịch, chứng thực, lý lịch tư pháp", "Civil status, certification",
     "Hộ tịch\nChứng thực\nLý lịch tư pháp", 8),
    ("CUTRU", "B", "Cư trú, căn cước, xuất nhập cảnh", "Residence, ID cards, immigration",
     "Đăng ký, quản lý cư trú\nCấp, quản lý căn cước\nQuản lý xuất nhập cảnh", 12),
    ("GIAOTHONG", "C", "Giao thông, giấy phép lái xe", "Vehicles and driving licences",
     "Đăng ký, quản lý phương tiện giao thông cơ giới đường bộ\n"
     "Sát hạch, cấp giấy phép lái xe\n"
     "Nộp phạt vi phạm hành chính trong lĩnh vực giao thông", 10),
    ("CHUNG", "D", "Tiếp nhận chung các lĩnh vực khác", "Other procedures", "", 15),
]  # fmt: skip
DEMO_COUNTERS = [(1, ["HOTICH"]), (2, ["HOTICH", "CHUNG"]), (3, ["CUTRU"]),
                 (4, ["CUTRU", "GIAOTHONG"]), (5, ["GIAOTHONG", "CHUNG"])]  # fmt: skip


def load_demo_floor(session: Session) -> int:
    """Create the demo services and counters that are missing; returns how many were added."""
    added = 0
    by_code = {s.code: s for s in session.scalars(select(Service))}
    for pos, (code, prefix, name, name_en, fields, minutes) in enumerate(DEMO_SERVICES):
        if code in by_code:
            continue
        svc = Service(
            code=code, prefix=prefix, name=name, name_en=name_en, fields=fields,
            opens_at=dt.time(7, 30), closes_at=dt.time(17, 0), default_minutes=minutes,
            position=pos, active=True,
        )  # fmt: skip
        session.add(svc)
        by_code[code] = svc
        added += 1
    numbers = set(session.scalars(select(Counter.number)))
    for number, codes in DEMO_COUNTERS:
        if number in numbers:
            continue
        session.add(
            Counter(number=number, name=f"Quầy {number}", services=[by_code[c] for c in codes])
        )
        added += 1
    session.commit()
    return added
