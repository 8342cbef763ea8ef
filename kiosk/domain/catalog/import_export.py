"""Loading a catalog from JSON or CSV: validate every record, then write all or nothing.

Three shapes are read:

* JSON in this project's shape (a list, or an object with a `procedures` list): see
  `kiosk/data/demo_catalog.json`;
* JSON as the national portal shares a procedure (`MATTHC`, `TENTTHC`, `CACHTHUCTHUCHIEN`, ...),
  as a list or under `result`;
* CSV with one procedure per row (the columns of `CSV_COLUMNS`).

A re-import updates each procedure in place by its code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from ...models import (
    CHANNELS,
    LEVELS,
    ONLINE_LEVELS,
    Channel,
    Fee,
    Procedure,
    ProcedureWord,
    RequiredDocument,
)
from ..text import fold
from . import forms

_WHOLE = re.compile(r"^-?(\d+|\d{1,3}([.,\s]\d{3})+)$")
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{2,31}$")
CSV_COLUMNS = [
    "code", "version", "name", "field", "level", "agency", "online_level", "any_desk",
    "in_person_days", "in_person_fee", "online_days", "online_fee", "post_days", "post_fee",
    "documents", "applicants", "result", "legal_basis", "conditions", "steps", "source",
]  # fmt: skip
_PORTAL_CHANNELS = {"1": "truc_tiep", "2": "truc_tuyen", "3": "buu_chinh"}
_TEXT_FIELDS = (
    "version", "agency", "applicants", "result", "legal_basis", "conditions", "steps", "source",
)  # fmt: skip
_COPIED = ("name", "field", "level", "online_level", "any_desk", "form") + _TEXT_FIELDS


@dataclass
class RowError:
    """One bad record: where it starts in the file and why it was refused."""

    line: int
    code: str
    reason: str

    def __str__(self) -> str:
        where = f"dòng {self.line}"
        return f"{where} ({self.code}): {self.reason}" if self.code else f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class CatalogFormatError(ValueError):
    """The file is not JSON or CSV of a shape this importer reads."""


# ---------------------------------------------------------------- reading the file


def read_records(data: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """Each record of the file with the line it starts on."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogFormatError("Tệp không phải văn bản UTF-8.") from exc
    if filename.lower().endswith(".csv"):
        return _read_csv(text)
    if filename.lower().endswith(".json") or text.lstrip()[:1] in "[{":
        return _read_json(text)
    raise CatalogFormatError("Chỉ nhận tệp .json hoặc .csv.")


def _read_json(text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFormatError(f"JSON sai cú pháp ở dòng {exc.lineno}: {exc.msg}") from exc
    start = 0
    if isinstance(whole, dict):
        key = "procedures" if "procedures" in whole else "result" if "result" in whole else None
        if key is None or not isinstance(whole[key], list):
            raise CatalogFormatError("JSON phải là một danh sách, hoặc có khóa 'procedures'.")
        m = re.search(r'"' + key + r'"\s*:\s*\[', text)
        start = m.end() if m else 0
    elif isinstance(whole, list):
        start = text.index("[") + 1
    else:
        raise CatalogFormatError("JSON phải là một danh sách thủ tục.")
    # Walk the array element by element so each record keeps the line it starts on.
    decoder = json.JSONDecoder()
    out: list[tuple[int, dict[str, Any]]] = []
    pos = start
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        obj, end = decoder.raw_decode(text, pos)
        out.append((text.count("\n", 0, pos) + 1, obj))
        pos = end
    return out


def _read_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "field", "level"} - set(reader.fieldnames or [])
    if missing:
        raise CatalogFormatError("CSV thiếu cột: " + ", ".join(sorted(missing)))
    out = []
    for row in reader:
        out.append((reader.line_num, _csv_to_record(row)))
    return out


def _csv_to_record(row: dict[str, str]) -> dict[str, Any]:
    rec: dict[str, Any] = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS if k in row}
    rec["any_desk"] = (row.get("any_desk") or "").strip().lower() in {"1", "true", "x", "có", "yes"}
    channels = []
    for kind, prefix in (
        ("truc_tiep", "in_person"),
        ("truc_tuyen", "online"),
        ("buu_chinh", "post"),
    ):
        days = (row.get(f"{prefix}_days") or "").strip()
        fee = (row.get(f"{prefix}_fee") or "").strip()
        if days or fee:
            channels.append(
                {"kind": kind, "days": days, "fees": [{"amount": fee or "0"}] if fee != "" else []}
            )
    rec["channels"] = channels
    docs = []
    for part in (row.get("documents") or "").split(";"):
        if part.strip():
            bits = [b.strip() for b in part.split("|")]
            docs.append(
                {
                    "name": bits[0],
                    "originals": bits[1] if len(bits) > 1 and bits[1] else 1,
                    "copies": bits[2] if len(bits) > 2 and bits[2] else 0,
                    "form": bits[3] if len(bits) > 3 else "",
                }
            )
    rec["documents"] = docs
    for k in [c for c in CSV_COLUMNS if c.endswith(("_days", "_fee"))]:
        rec.pop(k, None)
    return rec


# ---------------------------------------------------------------- the portal's shape


def _texts(value: Any, *keys: str) -> list[str]:
    """Strings under `keys` in a portal value that may be a string, an object or a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, *keys)]
    if isinstance(value, dict):
        for k in keys:
            if k in value:
                return _texts(value[k], *keys)
    return []


def from_portal(rec: dict[str, Any]) -> dict[str, Any]:
    """A national-portal procedure (MATTHC, TENTTHC, ...) in this project's shape."""
    levels = [fold(t) for t in _texts(rec.get("CAPTHUCHIEN"), "CAPTHUCHIEN", "TENCAP")]
    level = "xa" if any("xa" in lv for lv in levels) else "tinh" if levels else ""
    channels = []
    for ch in rec.get("CACHTHUCTHUCHIEN") or []:
        kind = _PORTAL_CHANNELS.get(str(ch.get("KENH", "")).strip())
        times = ch.get("THOIGIAN") or [{}]
        first = times[0] if times else {}
        days: Any = first.get("THOIGIANGIAIQUYET", "")
        unit = fold(str(first.get("DONVITINH", "")))
        if "gio" in unit and str(days).strip():
            try:
                days = str(Decimal(str(days)) / 8)
            except InvalidOperation:
                pass
        fees = [
            {"amount": f.get("SOTIEN", "0") or "0", "description": f.get("MOTA", "") or ""}
            for t in times
            for f in (t.get("PHILEPHI") or [])
        ]
        channels.append(
            {"kind": kind or f"KENH {ch.get('KENH')}", "days": days, "fees": fees,
             "time_note": first.get("MOTA", "") or ""}
        )  # fmt: skip
    documents = []
    for group in rec.get("THANHPHANHOSO") or []:
        for paper in group.get("GIAYTO") or []:
            documents.append(
                {
                    "name": paper.get("TENGIAYTO", ""),
                    "originals": paper.get("SOBANCHINH", 0) or 0,
                    "copies": paper.get("SOBANSAO", 0) or 0,
                    "form": paper.get("TENMAUDON", "") or "",
                    "case": group.get("TRUONGHOP", "") or "",
                }
            )
    online = str(rec.get("MUCDO", rec.get("MUCDODVC", ""))).strip()
    return {
        "code": str(rec.get("MATTHC", "")).strip(),
        "name": rec.get("TENTTHC", ""),
        "field": "; ".join(_texts(rec.get("LINHVUCTHUCHIEN"), "TENLINHVUC")),
        "level": level,
        "agency": "; ".join(_texts(rec.get("COQUANTHUCHIEN"), "TENDONVI", "TENCOQUAN")),
        "online_level": {"4": "toan_trinh", "3": "mot_phan"}.get(online),
        "channels": channels,
        "documents": documents,
        "applicants": "; ".join(_texts(rec.get("DOITUONGTHUCHIEN"), "TENDOITUONG")),
        "result": "; ".join(_texts(rec.get("KETQUATHUCHIEN"), "TENKETQUA")),
        "legal_basis": "; ".join(_texts(rec.get("CANCUPHAPLY"), "TENVANBAN")),
        "conditions": "; ".join(_texts(rec.get("YEUCAU"))),
        "steps": "\n".join(_texts(rec.get("TRINHTUTHUCHIEN"), "TRINHTU", "TENTRINHTU")),
        "source": "Cơ sở dữ liệu quốc gia về thủ tục hành chính",
    }


# ---------------------------------------------------------------- validation


def _int(value: Any, what: str, problems: list[str]) -> int:
    if isinstance(value, bool):
        problems.append(f"{what} phải là số nguyên")
        return 0
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        # "10000", "10.000", "10,000" and "10 000" are whole VND; "1.5" or "2.000đ" are not.
        s = str(value).strip()
        if isinstance(value, float) or not _WHOLE.match(s):
            problems.append(f"{what} phải là số nguyên (đồng), không phải {value!r}")
            return 0
        n = int(re.sub(r"[.,\s]", "", s))
    if n < 0:
        problems.append(f"{what} không được âm")
    return n


def _date(value: Any, what: str, problems: list[str]) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{what} phải có dạng YYYY-MM-DD, không phải {value!r}")
        return None


def validate(rec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record cleaned, and what is wrong with it (empty when it can be imported)."""
    if "MATTHC" in rec:
        rec = from_portal(rec)
    problems: list[str] = []
    clean: dict[str, Any] = {}
    code = str(rec.get("code") or "").strip()
    if not code:
        problems.append("thiếu mã thủ tục (code)")
    elif not CODE_RE.match(code):
        problems.append(f"mã thủ tục {code!r} không hợp lệ")
    clean["code"] = code
    for key in ("name", "field"):
        value = str(rec.get(key) or "").strip()
        if not value:
            problems.append(f"thiếu {'tên thủ tục' if key == 'name' else 'lĩnh vực'} ({key})")
        clean[key] = value
    # "Cấp tỉnh" and "tinh" alike.
    level = fold(str(rec.get("level") or "")).removeprefix("cap ")
    if level not in LEVELS:
        problems.append(
            f"cấp thực hiện (level) phải là 'tinh' hoặc 'xa', không phải {rec.get('level')!r}"
        )
    clean["level"] = level
    online = rec.get("online_level") or None
    if online is not None and online not in ONLINE_LEVELS:
        problems.append(f"mức độ trực tuyến (online_level) {online!r} không hợp lệ")
    clean["online_level"] = online
    clean["any_desk"] = bool(rec.get("any_desk", False))
    for key in _TEXT_FIELDS:
        value = rec.get(key) or ""
        clean[key] = "\n".join(value) if isinstance(value, list) else str(value).strip()

    channels = []
    seen: set[str] = set()
    for i, ch in enumerate(rec.get("channels") or [], start=1):
        kind = ch.get("kind")
        if kind not in CHANNELS:
            problems.append(
                f"kênh {i}: loại {kind!r} không hợp lệ (truc_tiep, truc_tuyen, buu_chinh)"
            )
            continue
        if kind in seen:
            problems.append(f"kênh {CHANNELS[kind]} khai báo hai lần")
        seen.add(kind)
        try:
            days = Decimal(str(ch.get("days", "")).strip().replace(",", "."))
            if days < 0 or days > 3650:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(
                f"kênh {CHANNELS[kind]}: thời hạn {ch.get('days')!r} không phải số ngày"
            )
            days = Decimal(0)
        fees = []
        for j, fee in enumerate(ch.get("fees") or [], start=1):
            what = f"kênh {CHANNELS[kind]}, phí {j}"
            fees.append(
                {
                    "amount_vnd": _int(fee.get("amount", ""), what, problems),
                    "description": str(fee.get("description") or ""),
                    "valid_from": _date(fee.get("valid_from"), what, problems),
                    "valid_to": _date(fee.get("valid_to"), what, problems),
                }
            )
        channels.append(
            {"kind": kind, "processing_days": days, "time_note": str(ch.get("time_note") or ""),
             "fees": fees}
        )  # fmt: skip
    if not channels:
        problems.append("cần ít nhất một cách thức thực hiện (channels)")
    clean["channels"] = channels

    documents = []
    for i, doc in enumerate(rec.get("documents") or [], start=1):
        name = str(doc.get("name") or "").strip()
        if not name:
            problems.append(f"giấy tờ {i}: thiếu tên")
        documents.append(
            {
                "name": name,
                "originals": _int(doc.get("originals", 1), f"giấy tờ {i}: số bản chính", problems),
                "copies": _int(doc.get("copies", 0), f"giấy tờ {i}: số bản sao", problems),
                "form": str(doc.get("form") or ""),
                "case": str(doc.get("case") or ""),
                # A paper of one case only (*trường hợp*) is not asked of every dossier.
                "required": bool(doc.get("required", not doc.get("case"))),
            }
        )
    clean["documents"] = documents
    form, form_problems = forms.parse_form(rec.get("form"))
    problems += form_problems
    clean["form"] = json.dumps([f.as_dict() for f in form], ensure_ascii=False)
    return clean, problems


# ---------------------------------------------------------------- writing


def import_catalog(session: Session, data: bytes, filename: str) -> ImportReport:
    """Validate every record of the file; import all of them in one transaction, or none."""
    report = ImportReport()
    records = read_records(data, filename)
    cleaned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, rec in records:
        if not isinstance(rec, dict):
            report.errors.append(RowError(line, "", "mỗi thủ tục phải là một đối tượng JSON"))
            continue
        clean, problems = validate(rec)
        if clean["code"] in seen:
            problems.append(f"mã trùng với thủ tục ở dòng {seen[clean['code']]}")
        elif clean["code"]:
            seen[clean["code"]] = line
        for p in problems:
            report.errors.append(RowError(line, clean["code"], p))
        cleaned.append(clean)
    if not records:
        report.errors.append(RowError(1, "", "tệp không có thủ tục nào"))
    if report.errors:
        return report

    existing = {p.code: p for p in session.scalars(select(Procedure)).all()}
    for clean in cleaned:
        proc = existing.get(clean["code"])
        if proc is None:
            proc = Procedure(code=clean["code"])
            session.add(proc)
            report.created += 1
        else:
            report.updated += 1
        _apply(session, proc, clean)
    session.commit()
    # An import rewrites much of the catalog at once: refresh the planner's statistics now
    # rather than when autovacuum gets to it (on PostgreSQL, search was 5x slower until then).
    for table in ("procedure", "procedure_word"):
        session.execute(text(f"ANALYZE {table}"))
    session.commit()
    return report


def _apply(session: Session, proc: Procedure, clean: dict[str, Any]) -> None:
    for key in _COPIED:
        setattr(proc, key, clean[key])
    proc.search_name = f" {fold(proc.name)} "
    proc.search_text = " ".join(
        fold(x) for x in (proc.name, proc.code, proc.field, proc.agency) if x
    )
    if proc.id is not None:
        # Delete the old rows first: the new channels reuse the (procedure, kind) key.
        proc.channels.clear()
        proc.documents.clear()
        proc.words.clear()
        session.flush()
    proc.words.extend(
        ProcedureWord(word=w) for w in sorted({w[:64] for w in proc.search_text.split()})
    )
    for pos, ch in enumerate(clean["channels"]):
        proc.channels.append(
            Channel(
                position=pos,
                kind=ch["kind"],
                processing_days=ch["processing_days"],
                time_note=ch["time_note"],
                fees=[Fee(position=i, **fee) for i, fee in enumerate(ch["fees"])],
            )
        )
    for pos, doc in enumerate(clean["documents"]):
        proc.documents.append(RequiredDocument(position=pos, **doc))


# ---------------------------------------------------------------- export


def export_catalog(session: Session) -> dict[str, Any]:
    """The whole catalog, forms included, in the file format `import_catalog` reads back."""
    procs = session.scalars(
        select(Procedure)
        .order_by(Procedure.code)
        .options(
            selectinload(Procedure.channels).selectinload(Channel.fees),
            selectinload(Procedure.documents),
        )
    ).all()
    out = []
    for p in procs:
        rec: dict[str, Any] = {"code": p.code}
        for key in _COPIED:
            rec[key] = getattr(p, key)
        rec["form"] = json.loads(p.form or "[]")
        rec["channels"] = [
            {
                "kind": ch.kind,
                "days": float(ch.processing_days),
                "time_note": ch.time_note,
                "fees": [
                    {
                        "amount": f.amount_vnd,
                        "description": f.description,
                        "valid_from": f.valid_from.isoformat() if f.valid_from else None,
                        "valid_to": f.valid_to.isoformat() if f.valid_to else None,
                    }
                    for f in ch.fees
                ],
            }
            for ch in p.channels
        ]
        rec["documents"] = [
            {"name": d.name, "originals": d.originals, "copies": d.copies, "form": d.form,
             "case": d.case, "required": d.required}
            for d in p.documents
        ]  # fmt: skip
        out.append(rec)
    return {"procedures": out}
