"""E-forms (*tờ khai điện tử*) as catalog data: each procedure may carry a list of fields, and
every value a citizen, officer or agent sends is checked here, on the server, with a message in
plain Vietnamese for the field it concerns.

A field is `{"name", "label", "kind", "required", "options", "max_length", "min", "max",
"help"}`; `kind` is one of `KINDS`:

- `text` (up to `max_length` characters, 255 unless set; checked by `text.clean_text`, as
  every free text is, and kept in NFC),
- `date` (stored `YYYY-MM-DD`; typed and shown `dd/mm/yyyy`, see `read_date`),
- `number` (an integer, within `min`/`max` when set),
- `select` (one of `options`),
- `phone` (10 digits starting with 0),
- `email`,
- `cccd` (checked by `citizen_id.check_number`),
- `address` (`{"commune_code", "detail"}`, the commune one of the current communes in
  `places`).

The form travels with the catalog: `import_export` reads and checks it with `parse_form`, and
`export` writes it back.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .. import places
from ..citizen_id import CccdError, check_number
from ..text import TextRefused, clean_text, fold, phone_number

KINDS = ("text", "date", "number", "select", "phone", "email", "cccd", "address")
KIND_LABELS = {
    "text": "chữ",
    "date": "ngày",
    "number": "số",
    "select": "lựa chọn",
    "phone": "số điện thoại",
    "email": "thư điện tử",
    "cccd": "số CCCD",
    "address": "địa chỉ",
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EMAIL_RE = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_FIELDS = 60
MAX_TEXT = 2000
MAX_DETAIL = 255


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str
    required: bool = True
    options: tuple[str, ...] = ()
    max_length: int = 255
    min: int | None = None
    max: int | None = None
    help: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The field as the catalog file and the API write it (defaults left out)."""
        out: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "required": self.required,
        }
        if self.options:
            out["options"] = list(self.options)
        if self.kind == "text" and self.max_length != 255:
            out["max_length"] = self.max_length
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.help:
            out["help"] = self.help
        return out


def parse_form(raw: Any) -> tuple[list[Field], list[str]]:
    """Fields from the catalog's `form` list, and what is wrong with it (empty when good)."""
    if raw in (None, ""):
        return [], []
    if not isinstance(raw, list):
        return [], ["biểu mẫu (form) phải là một danh sách trường"]
    if len(raw) > MAX_FIELDS:
        return [], [f"biểu mẫu có quá {MAX_FIELDS} trường"]
    fields: list[Field] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"biểu mẫu, trường {i}"
        if not isinstance(item, dict):
            problems.append(f"{where}: phải là một đối tượng")
            continue
        name = str(item.get("name") or "")
        if not NAME_RE.match(name):
            problems.append(f"{where}: tên {name!r} chỉ gồm chữ thường không dấu, số và _")
            continue
        if name in seen:
            problems.append(f"{where}: tên {name!r} trùng")
        seen.add(name)
        label = str(item.get("label") or "").strip()
        if not label:
            problems.append(f"{where} ({name}): thiếu nhãn (label)")
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(f"{where} ({name}): loại {kind!r} không hợp lệ ({', '.join(KINDS)})")
            continue
        options = item.get("options") or []
        if kind == "select":
            if (
                not isinstance(options, list)
                or not options
                or not all(isinstance(o, str) and o.strip() for o in options)
            ):
                problems.append(f"{where} ({name}): trường lựa chọn cần danh sách options")
                options = []
        elif options:
            problems.append(f"{where} ({name}): chỉ trường lựa chọn (select) có options")
            options = []
        bounds: dict[str, int | None] = {}
        for key in ("min", "max", "max_length"):
            value = item.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                problems.append(f"{where} ({name}): {key} phải là số nguyên")
                value = None
            bounds[key] = value
        max_length = bounds["max_length"] or 255
        if not 1 <= max_length <= MAX_TEXT:
            problems.append(f"{where} ({name}): max_length từ 1 đến {MAX_TEXT}")
            max_length = 255
        fields.append(
            Field(
                name=name,
                label=label,
                kind=str(kind),
                required=bool(item.get("required", True)),
                options=tuple(str(o).strip() for o in options),
                max_length=max_length,
                min=bounds["min"],
                max=bounds["max"],
                help=str(item.get("help") or "").strip(),
            )
        )
    return fields, problems


_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DMY = re.compile(r"^([0-9]{1,2})\s*[/.\- ]\s*([0-9]{1,2})\s*[/.\- ]\s*([0-9]{4})$")
_DMY8 = re.compile(r"^([0-9]{2})([0-9]{2})([0-9]{4})$")
DATE_HINT = "ngày/tháng/năm, ví dụ 25/09/1985"


class DateRefused(ValueError):
    """A date that cannot be read or cannot be: the message says why, in Vietnamese."""


def read_date(value: str) -> dt.date:
    """A date as Vietnamese write it: `dd/mm/yyyy` (also with `.` or `-`, one-digit day or
    month, or the eight digits alone as a numeric keypad types them, `12031985`), or
    `YYYY-MM-DD` as stored; between 1900 and 2100. DateRefused says what is wrong: not a date,
    or a day the month does not have (31/02/2000)."""
    text = (value or "").strip()
    found = _ISO.match(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
    else:
        found = _DMY.match(text) or _DMY8.match(text)
        if not found:
            raise DateRefused(f"ngày không hợp lệ ({DATE_HINT}).")
        day, month, year = (int(g) for g in found.groups())
    if not 1900 <= year <= 2100:
        raise DateRefused(f"năm {year} không hợp lệ (từ 1900 đến 2100).")
    if not 1 <= month <= 12:
        raise DateRefused(f"không có tháng {month} ({DATE_HINT}).")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateRefused(
            f"ngày {day:02d}/{month:02d}/{year} không có thật: tháng {month} năm {year} "
            f"có {last} ngày."
        )
    return dt.date(year, month, day)


def parse_date(value: str) -> dt.date | None:
    """`read_date`, None instead of a refusal."""
    try:
        return read_date(value)
    except DateRefused:
        return None


def date_text(value: Any) -> str:
    """A date value as it is shown and typed (`dd/mm/yyyy`); what cannot be read, as it is."""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value or "")
    day = parse_date(text) if text else None
    return day.strftime("%d/%m/%Y") if day else text


def check_value(f: Field, value: Any) -> tuple[Any, str | None]:
    """(the clean value, None) or (None, the message for the field)."""
    if f.kind == "address":
        return _check_address(f, value)
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, f"{f.label}: giá trị không hợp lệ."
    try:  # a text may span lines (a textarea); no other value may
        text = clean_text(str(value), f.label, multiline=f.kind == "text")
    except TextRefused as exc:
        return None, str(exc)
    if not text:
        return ("", f"Nhập {f.label[:1].lower()}{f.label[1:]}." if f.required else None)
    if f.kind == "text":
        if len(text) > f.max_length:
            return None, f"{f.label}: dài quá {f.max_length} ký tự."
        return text, None
    if f.kind == "date":
        try:
            return read_date(text).isoformat(), None
        except DateRefused as exc:
            return None, f"{f.label}: {exc}"
    if f.kind == "number":
        if not re.fullmatch(r"-?[0-9]{1,15}", text):
            return None, f"{f.label}: chỉ nhập số nguyên."
        number = int(text)
        if f.min is not None and number < f.min:
            return None, f"{f.label}: nhỏ nhất là {f.min}."
        if f.max is not None and number > f.max:
            return None, f"{f.label}: lớn nhất là {f.max}."
        return number, None
    if f.kind == "select":
        if text not in f.options:
            return None, f"{f.label}: chọn một trong các mục đã cho."
        return text, None
    if f.kind == "phone":
        phone = phone_number(text)
        if phone is None:
            return None, f"{f.label}: gồm 10 chữ số, bắt đầu bằng 0."
        return phone, None
    if f.kind == "email":
        if len(text) > 254 or not EMAIL_RE.match(text):
            return None, f"{f.label}: địa chỉ thư điện tử không hợp lệ."
        return text, None
    if f.kind == "cccd":
        try:
            return check_number(text), None
        except CccdError as exc:
            return None, f"{f.label}: {exc}"
    return None, f"{f.label}: loại trường không hỗ trợ."  # pragma: no cover - KINDS is closed


def _check_address(f: Field, value: Any) -> tuple[Any, str | None]:
    if value in (None, "", {}):
        return ({}, f"Chọn {f.label[:1].lower()}{f.label[1:]}." if f.required else None)
    if not isinstance(value, dict):
        return None, f"{f.label}: địa chỉ gồm xã/phường và số nhà, đường."
    code = value.get("commune_code")
    detail = value.get("detail", "")
    if not isinstance(code, str) or not isinstance(detail, str):
        return None, f"{f.label}: địa chỉ gồm xã/phường và số nhà, đường."
    commune = places.get_commune(code)
    if commune is None:
        return None, f"{f.label}: chọn xã/phường trong danh sách."
    try:
        detail = clean_text(detail, f"{f.label} (số nhà, đường)")
    except TextRefused as exc:
        return None, str(exc)
    if len(detail) > MAX_DETAIL:
        return None, f"{f.label}: số nhà, đường dài quá {MAX_DETAIL} ký tự."
    return {"commune_code": commune.code, "detail": detail}, None


def validate(form: list[Field], values: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values cleaned, and a message per field that is wrong (empty when good).
    Names the form does not have are refused, so nothing unchecked is stored."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return {}, {"fields": "Tờ khai phải là các cặp tên trường và giá trị."}
    errors: dict[str, str] = {}
    known = {f.name for f in form}
    for name in values:
        if name not in known:
            shown = str(name)[:40]
            errors[shown] = f"Tờ khai của thủ tục này không có trường {shown!r}."
    clean: dict[str, Any] = {}
    for f in form:
        value, problem = check_value(f, values.get(f.name))
        if problem:
            errors[f.name] = problem
        elif value not in ("", {}):
            clean[f.name] = value
    return clean, errors


#: Words in an address field's label that ask for the address on the citizen's card: the chip
#: CCCD's address is the permanent residence (*nơi thường trú*).
CARD_ADDRESS_WORDS = ("noi thuong tru", "dia chi thuong tru", "thuong tru")


def card_address_fields(form: list[Field]) -> list[Field]:
    """The form's address fields that ask for the address written on the card (a scan fills
    them): a label that begins "Nơi thường trú", "Địa chỉ thường trú", not "Nơi đề nghị đăng
    ký thường trú" (where one wants to move)."""
    out = []
    for f in form:
        words = fold(f.label)
        if f.kind == "address" and any(words.startswith(w) for w in CARD_ADDRESS_WORDS):
            out.append(f)
    return out


def describe(value: Any, f: Field) -> str:
    """A stored value as a person reads it (an address with its commune and province)."""
    if f.kind == "address" and isinstance(value, dict):
        return address_text(value)
    if f.kind == "date" and isinstance(value, str):
        day = parse_date(value)
        return day.strftime("%d/%m/%Y") if day else value
    return str(value)


def address_text(value: dict[str, Any]) -> str:
    """`{"commune_code", "detail"}` as "detail, commune, province"."""
    commune = places.get_commune(str(value.get("commune_code") or ""))
    parts = [str(value.get("detail") or "").strip()]
    if commune is not None:
        parts += [commune.name, commune.province_name]
    return ", ".join(p for p in parts if p)


#: How much of a screen a field takes, in rows of a kiosk step (`steps`).
STEP_ROWS = 4


def _rows(f: Field) -> int:
    if f.kind == "address":
        return 3
    if f.kind == "text" and f.max_length > 255:
        return 2
    return 1


def steps(form: list[Field], rows: int = STEP_ROWS) -> list[list[Field]]:
    """The form cut into short steps for the kiosk (one screen each, "one thing per page"), in
    the form's order: a step takes fields until the next would pass `rows` (an address counts
    3, a long text 2, any other field 1); a field larger than `rows` has a step of its own."""
    out: list[list[Field]] = []
    current: list[Field] = []
    used = 0
    for f in form:
        need = _rows(f)
        if current and used + need > rows:
            out.append(current)
            current, used = [], 0
        current.append(f)
        used += need
    if current:
        out.append(current)
    return out
