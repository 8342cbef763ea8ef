"""Setting up the floor: services, counters and kiosk stations, by the center's manager."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from printers.transports.policy import AddressPolicy

from ...models import Counter, KioskStation, Service, SiteSetting, User
from ..accounts.roles import require
from ..clock import utcnow
from ..printing.jobs import check_printer
from ..text import TextRefused, clean_text

CODE = re.compile(r"^[A-Z0-9_-]{1,16}$")


class ConfigInvalid(ValueError):
    """Bad settings; `errors` maps a field to its message in Vietnamese."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class ServiceForm:
    code: str
    name: str
    prefix: str
    name_en: str = ""
    opens_at: str = ""
    closes_at: str = ""
    fields: str = ""
    default_minutes: str = "10"
    position: str = "0"
    active: bool = True


def _time(value: str, label: str, errors: dict[str, str], key: str) -> dt.time | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        errors[key] = f"{label} phải có dạng giờ:phút, ví dụ 07:30."
        return None


def _text(value: str, label: str, key: str, errors: dict[str, str]) -> str:
    """A name typed in the set-up, as the tickets print and the hall's screens show it
    (`text.clean_text`); its error, if any, added to `errors` under `key`."""
    try:
        return clean_text(value, label)
    except TextRefused as exc:
        errors[key] = str(exc)
        return ""


def save_service(
    session: Session, user: User, form: ServiceForm, service_id: int | None = None
) -> Service:
    """Create or update a service; ConfigInvalid lists every mistake at once."""
    require(user, "queue.configure")
    errors: dict[str, str] = {}
    code = form.code.strip().upper()
    prefix = form.prefix.strip().upper()
    if not CODE.match(code):
        errors["code"] = "Mã dịch vụ gồm 1–16 chữ cái không dấu, chữ số, - hoặc _."
    if len(prefix) != 1 or not ("A" <= prefix <= "Z"):
        errors["prefix"] = "Chữ cái đầu số là một chữ cái từ A đến Z."
    if not form.name.strip():
        errors["name"] = "Nhập tên dịch vụ."
    names = {key: _text(getattr(form, key), label, key, errors)
             for key, label in (("name", "Tên dịch vụ"), ("name_en", "Tên tiếng Anh"))}  # fmt: skip
    opens = _time(form.opens_at, "Giờ mở", errors, "opens_at")
    closes = _time(form.closes_at, "Giờ đóng", errors, "closes_at")
    if opens and closes and closes <= opens:
        errors["closes_at"] = "Giờ đóng phải sau giờ mở."
    try:
        minutes = int(form.default_minutes)
        if not 1 <= minutes <= 240:
            raise ValueError
    except ValueError:
        errors["default_minutes"] = "Thời gian phục vụ ước tính là số phút từ 1 đến 240."
        minutes = 10
    try:
        position = int(form.position or 0)
    except ValueError:
        errors["position"] = "Thứ tự hiển thị là một số nguyên."
        position = 0
    for other in session.scalars(select(Service).where(Service.id != (service_id or 0))):
        if other.code == code:
            errors["code"] = f"Mã {code} đã dùng cho {other.name}."
        if other.prefix == prefix:
            errors["prefix"] = f"Chữ {prefix} đã dùng cho {other.name}."
    if errors:
        raise ConfigInvalid(errors)
    svc = session.get(Service, service_id) if service_id else None
    if svc is None:
        svc = Service()
        session.add(svc)
    svc.code, svc.prefix, svc.name = code, prefix, names["name"]
    svc.name_en = names["name_en"]
    svc.opens_at, svc.closes_at = opens, closes
    svc.fields = "\n".join(f.strip() for f in form.fields.splitlines() if f.strip())
    svc.default_minutes, svc.position, svc.active = minutes, position, form.active
    session.commit()
    return svc


def save_counter(
    session: Session,
    user: User,
    *,
    number: str,
    name: str,
    service_ids: list[int],
    printer_url: str = "",
    printer_profile: str = "",
    active: bool = True,
    counter_id: int | None = None,
    policy: AddressPolicy,
) -> Counter:
    """Create or update a counter and the services it serves."""
    require(user, "queue.configure")
    errors: dict[str, str] = {}
    try:
        num = int(number)
        if not 1 <= num <= 999:
            raise ValueError
    except ValueError:
        errors["number"] = "Số quầy là số nguyên từ 1 đến 999."
        num = 0
    if num and session.scalar(
        select(Counter).where(Counter.number == num, Counter.id != (counter_id or 0))
    ):
        errors["number"] = f"Đã có quầy số {num}."
    chosen = list(session.scalars(select(Service).where(Service.id.in_(service_ids))))
    if not chosen:
        errors["services"] = "Chọn ít nhất một dịch vụ cho quầy."
    name = _text(name, "Tên quầy", "name", errors)
    printer_url = printer_url.strip()
    check_printer(printer_url, errors, policy)
    if errors:
        raise ConfigInvalid(errors)
    counter = session.get(Counter, counter_id) if counter_id else None
    if counter is None:
        counter = Counter()
        session.add(counter)
    counter.number, counter.name, counter.active = num, name, active
    counter.services = chosen
    counter.printer_url, counter.printer_profile = printer_url, printer_profile.strip()
    session.commit()
    return counter


def save_station(
    session: Session,
    user: User,
    code: str,
    name: str,
    printer_url: str,
    printer_profile: str,
    *,
    policy: AddressPolicy,
) -> KioskStation:
    """Register a kiosk machine and the printer beside it."""
    require(user, "printers.manage")
    code = code.strip().upper()
    if not CODE.match(code):
        raise ConfigInvalid({"code": "Mã kiosk gồm 1–16 chữ cái không dấu, chữ số, - hoặc _."})
    errors: dict[str, str] = {}
    name = _text(name, "Tên kiosk", "name", errors)
    check_printer(printer_url.strip(), errors, policy)
    if errors:
        raise ConfigInvalid(errors)
    station = session.scalar(select(KioskStation).where(KioskStation.code == code))
    if station is None:
        station = KioskStation(code=code)
        session.add(station)
    station.name = name
    station.printer_url = printer_url.strip()
    station.printer_profile = printer_profile.strip()
    session.commit()
    return station


#: The demo floor: four services and five counters, as a provincial center might set them up.


#: The `site_setting` key of the loudness of every spoken word of the site, in percent.
SPEECH_VOLUME = "speech_volume"


def speech_volume(session: Session) -> int | None:
    """The loudness (0-100 %) the manager set for the kiosk's read-aloud and the displays'
    spoken calls; None while no one has (the deployment's KIOSK_SPEECH_VOLUME then)."""
    row = session.get(SiteSetting, SPEECH_VOLUME)
    if row is None or not row.value.isdigit():
        return None
    return min(int(row.value), 100)


def set_speech_volume(session: Session, user: User, value: str) -> int:
    """Keep the manager's loudness, a whole number from 0 to 100; ConfigInvalid otherwise."""
    require(user, "queue.configure")
    text = value.strip().removesuffix("%").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 100:
        raise ConfigInvalid({"volume": "Âm lượng là một số nguyên từ 0 đến 100 (phần trăm)."})
    row = session.get(SiteSetting, SPEECH_VOLUME) or SiteSetting(key=SPEECH_VOLUME)
    row.value = str(int(text))
    row.updated_at = utcnow()
    row.updated_by = user.full_name or user.username
    session.add(row)
    session.commit()
    return int(row.value)
