"""Web glue for filing a dossier from an HTML page, shared by the kiosk (*Nộp hồ sơ*), the
counter (*Tiếp nhận hồ sơ*) and the agent portal: reading the posted form, a CCCD scan, an
uploaded file, and how the receipts (the dossier's, the cash one) are printed. The rules
themselves are in `domain.dossiers` (and its `uploads`) and `domain.catalog.forms`.

Input names of the form (templates/_dossier_form.html):
- the applicant: `a.full_name`, `a.cccd`, `a.birth_date`, `a.gender`, `a.phone`,
  `a.commune_code`, `a.detail`;
- the e-form: `f.<name>`, and for an address `f.<name>.commune_code`, `f.<name>.detail`;
- the papers, by their position in the procedure's list: `doc.<i>` (an upload's id),
  `reuse.<i>` (an earlier dossier's upload, with `consent.<i>`), `paper.<i>` (received on
  paper, at a counter only);
- the fee: `fee_rule` (the catalog's fee by its place), and a reduced fee's proof `doc.fee`
  (an upload's id) or `paper.fee` (received on paper, at a counter only);
- `idempotency_key`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from .auth import current_user
from .domain import dossiers, money, places
from .domain.catalog import form_of, forms
from .domain.citizen_id import CccdError, parse_qr
from .domain.dossiers import uploads
from .domain.printing import Printer, printer_for, station_printer
from .models import Counter, Dossier, Payment, PrintJob, Procedure, Upload, User
from .view_helpers import (
    anonymous_upload_quota,
    db,
    default_printer,
    public_url,
    site_tz,
    upload_folder,
    upload_limits,
)


@dataclass
class Posted:
    """A dossier form as posted: what to give `dossiers.receive`, and the raw values to show
    again (nothing typed is lost when something is refused)."""

    applicant: dossiers.Applicant
    fields: dict[str, Any]
    wanted: list[uploads.Wanted]
    on_paper: list[str]
    reused: list[tuple[int, str]]
    values: MultiDict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    #: The catalog's fee chosen for the citizen, by its place in the channel's list (0: the
    #: general fee); offered to agents and counter officers only (`fee_choices`).
    fee_rule: int = 0


def _text(form: MultiDict[str, str], name: str, limit: int = 255) -> str:
    return (form.get(name) or "").strip()[: limit + 1]


def read(form: MultiDict[str, str], procedure: Procedure) -> Posted:
    """The posted form for `procedure` (checked later by `dossiers.receive`)."""
    errors: dict[str, str] = {}
    birth_raw = _text(form, "a.birth_date")
    birth = forms.parse_date(birth_raw) if birth_raw else None
    if birth_raw and birth is None:
        try:
            forms.read_date(birth_raw)
        except forms.DateRefused as exc:
            errors["birth_date"] = f"Ngày sinh: {exc}"
    commune = _text(form, "a.commune_code")
    address = {"commune_code": commune, "detail": _text(form, "a.detail")} if commune else {}
    applicant = dossiers.Applicant(
        full_name=_text(form, "a.full_name"), cccd=_text(form, "a.cccd"), birth_date=birth,
        gender=_text(form, "a.gender"), phone=_text(form, "a.phone"), address=address,
    )  # fmt: skip
    values: dict[str, Any] = {}
    for f in form_of(procedure):
        if f.kind == "address":
            code = _text(form, f"f.{f.name}.commune_code")
            if code:
                values[f.name] = {
                    "commune_code": code,
                    "detail": _text(form, f"f.{f.name}.detail"),
                }
        else:
            values[f.name] = _text(form, f"f.{f.name}", forms.MAX_TEXT)
    wanted: list[uploads.Wanted] = []
    on_paper: list[str] = []
    reused: list[tuple[int, str]] = []
    for i, doc in enumerate(procedure.documents):
        upload_id = _text(form, f"doc.{i}", 64)
        reuse_id = _text(form, f"reuse.{i}", 64)
        if upload_id:
            wanted.append(uploads.Wanted(doc.name, upload_id))
        elif reuse_id and form.get(f"consent.{i}") == "on":
            reused.append((i, reuse_id))
        elif reuse_id and form.get(f"paper.{i}") != "on":  # the paper itself, received
            errors[f"documents.{doc.name}"] = (
                "Cần ông/bà đồng ý để dùng lại bản số hóa, hoặc tải tệp mới."
            )
        if form.get(f"paper.{i}") == "on":
            on_paper.append(doc.name)
    # A reduced fee's proof, one more paper (`uploads.FEE_PROOF`): `doc.fee`, `paper.fee`.
    proof = _text(form, "doc.fee", 64)
    if proof:
        wanted.append(uploads.Wanted(uploads.FEE_PROOF, proof))
    if form.get("paper.fee") == "on":
        on_paper.append(uploads.FEE_PROOF)
    rule = _text(form, "fee_rule", 2)
    fee_rule = int(rule) if rule.isdigit() else 0
    if rule and not rule.isdigit():
        errors["fee"] = "Chọn một mức phí của thủ tục."
    return Posted(applicant, values, wanted, on_paper, reused, form, errors, fee_rule)


def citizen_of(posted: Posted) -> uploads.Citizen:
    """The citizen the form names, as typed: whether they are a dossier's applicant is
    `uploads.same_citizen`'s to say."""
    a = posted.applicant
    return uploads.Citizen(a.cccd, a.full_name, a.birth_date)


def reuse_consented(
    session: Session, posted: Posted, procedure: Procedure, owner: str, actor: User | None
) -> dict[str, str]:
    """Turn each consented reuse into an upload of this owner (`uploads.reuse`, which allows
    it only to an officer at a counter and only for the citizen named in the form), and add it
    to `posted.wanted`; errors by document."""
    errors: dict[str, str] = {}
    for i, source_id in posted.reused:
        name = procedure.documents[i].name
        try:
            copy = uploads.reuse(
                session, uploads.get(session, source_id), actor=actor,
                citizen=citizen_of(posted), owner=owner,
            )  # fmt: skip
        except uploads.UploadRefused as exc:
            errors[f"documents.{name}"] = str(exc)
            continue
        posted.wanted.append(uploads.Wanted(name, copy.id))
        posted.values = MultiDict(posted.values)
        posted.values.setlist(f"doc.{i}", [copy.id])
    return errors


def reusable_for(session: Session, posted: Posted | None, actor: User | None) -> dict[str, Upload]:
    """Papers digitized in the citizen's earlier dossiers, by document name: offered only to an
    officer at a counter, and only when the form names the citizen as the card does (number,
    name and birth date); see `uploads.may_reuse` and `uploads.same_citizen`."""
    if posted is None:
        return {}
    return uploads.reusable(session, actor, citizen_of(posted))


@dataclass(frozen=True)
class Scan:
    """What a CCCD scan filled in, or why it filled nothing."""

    values: dict[str, str]
    message: str
    ok: bool


def scan(text: str, procedure: Procedure | None = None) -> Scan:
    """The applicant's fields from the chip card's QR code, as the scanner typed it: name,
    number, birth date (`dd/mm/yyyy`), gender, and the card's address matched to its province
    and commune (`places.match_address`), into the contact address and into every address
    field of `procedure`'s form that asks for the card's (`forms.card_address_fields`: "Nơi
    thường trú"). What the list did not match stays in the house-number box, and the message
    asks the citizen to check the address."""
    try:
        card = parse_qr(text)
    except CccdError as exc:
        return Scan({}, f"Không đọc được mã trên thẻ: {exc} Chưa điền gì.", False)
    values = {
        "a.full_name": card.full_name,
        "a.cccd": card.number,
        "a.birth_date": forms.date_text(card.birth_date),
        "a.gender": card.gender,
    }
    message = f"Đã đọc thẻ căn cước của {card.full_name}."
    if card.address:
        where = places.match_address(card.address)
        prefixes = ["a"] + [f"f.{f.name}" for f in forms.card_address_fields(
            form_of(procedure) if procedure is not None else [])]  # fmt: skip
        for prefix in prefixes:
            values[f"{prefix}.province"] = where.province_code
            values[f"{prefix}.commune_code"] = where.commune.code if where.commune else ""
            values[f"{prefix}.detail"] = where.detail[: forms.MAX_DETAIL]
        message += f" Địa chỉ trên thẻ: {card.address[:200]}. "
        if where.former_province:
            now = dict(places.provinces()).get(where.province_code, "")
            message += (
                f"Tỉnh {where.former_province} trên thẻ nay thuộc {now} (sắp xếp tỉnh năm "
                f"2025): đã chọn {now}. "
            )
        message += (
            "Đã điền tỉnh và xã, phường theo thẻ: kiểm tra lại địa chỉ."
            if where.commune
            else "Chưa tìm được xã, phường trong danh sách: chọn lại và kiểm tra lại địa chỉ."
        )
    return Scan(values, message, True)


def store_request_file(owner: str) -> Upload:
    """The request's `file` part, kept (UploadRefused says why not). The body may be at most a
    little over the per-file limit; a larger one is refused before it is read. Without a
    signed-in user (the kiosk, the API without a token) the upload is counted first against
    the address's hourly quota (`uploads.charge`)."""
    limits = upload_limits()
    request.max_content_length = limits.per_file + 64 * 1024
    if current_user() is None:
        announced = request.content_length
        size = min(announced, limits.per_file) if announced is not None else limits.per_file
        uploads.charge(db(), request.remote_addr or "", size, anonymous_upload_quota())
    try:
        part = request.files.get("file")
    except RequestEntityTooLarge as exc:
        raise uploads.UploadRefused(
            f"Tệp lớn quá {uploads.megabytes(limits.per_file)} (giới hạn mỗi tệp).", 413
        ) from exc
    if part is None:
        raise uploads.UploadRefused("Gửi tệp trong trường 'file' (multipart/form-data).")
    return uploads.store(
        db(), upload_folder(), part.stream, original_name=part.filename or "",
        owner=owner, limits=limits,
    )  # fmt: skip


def store_posted_files(owner: str) -> tuple[dict[int, Upload], dict[int, str]]:
    """The papers a form posts as files without JavaScript (`file.<i>`, one per paper of the
    procedure, the papers step sent as multipart), each counted against the address's hourly
    quota with its size and kept; what was refused, its message by the paper's index. Empty
    parts (no file chosen, or one the script already uploaded) are skipped."""
    kept: dict[int, Upload] = {}
    refused: dict[int, str] = {}
    limits = upload_limits()
    for key, part in request.files.items(multi=True):
        index = key.removeprefix("file.")
        if not key.startswith("file.") or not index.isdigit() or len(index) > 3:
            continue
        if not part.filename:
            continue
        part.stream.seek(0, 2)
        size = part.stream.tell()
        part.stream.seek(0)
        if size == 0:
            continue
        try:
            if current_user() is None:
                uploads.charge(db(), request.remote_addr or "", size, anonymous_upload_quota())
            kept[int(index)] = uploads.store(
                db(), upload_folder(), part.stream, original_name=part.filename,
                owner=owner, limits=limits,
            )  # fmt: skip
        except uploads.UploadRefused as exc:
            refused[int(index)] = str(exc)
    return kept, refused


def kiosk_printer(station_code: str | None) -> Printer:
    """A kiosk station's printer, else the default one."""
    return station_printer(db(), station_code, default_printer())


def counter_printer(url: str, profile: str) -> Printer:
    """A counter's printer, else the default one."""
    return printer_for(url, profile, default_printer())


def desk_printer(user: User) -> Printer:
    """The printer of the counter `user` works at now (a cash receipt, an apology printed from
    the dossier's page), else the default one."""
    at = db().scalar(
        select(Counter)
        .where(Counter.officer_id == user.id, Counter.active.is_(True))
        .order_by(Counter.number)
        .limit(1)
    )
    return counter_printer(at.printer_url, at.printer_profile) if at else default_printer()


def receipt_print(printer: Printer) -> dossiers.ReceiptPrint:
    """How a receipt (or an apology) is printed from this request: on `printer`, with this
    site's name and a QR code to the status page."""
    return dossiers.ReceiptPrint(
        printer=printer,
        site_name=str(current_app.config["SITE_NAME"]),
        link=lambda code: public_url(url_for("public.dossier_status", code=code)),
        tz=site_tz(),
    )


def cash_receipt(
    printer: Printer, *, place: str, collector: User, dossier: Dossier
) -> Callable[[Payment], PrintJob]:
    """What prints the receipt for cash just taken (`money.record_cash(then=...)`), or for
    cash taken earlier: on `printer`, naming where and by whom, with a QR code to the dossier's
    status page."""

    def add(payment: Payment) -> PrintJob:
        return money.cash_receipt_job(
            db(), payment, dossier, printer, site_name=str(current_app.config["SITE_NAME"]),
            place=place, collector=collector.full_name or collector.username,
            status_url=public_url(url_for("public.dossier_status", code=dossier.code)),
            tz=site_tz(),
        )  # fmt: skip

    return add


def limits_text() -> tuple[str, str]:
    lim = upload_limits()
    return uploads.megabytes(lim.per_file), uploads.megabytes(lim.per_dossier)


def province_of(commune_code: str) -> str:
    commune = places.get_commune(commune_code)
    return commune.province_code if commune else ""


def communes_in(province_code: str) -> list[places.Commune]:
    return places.in_province(province_code) if province_code else []


def used_key(values: MultiDict[str, str]) -> tuple[MultiDict[str, str], dict[str, str]]:
    """The form again after its idempotency key was refused (`idempotency.Conflict`: this very
    form was already filed, with other values): what was typed, a new key, and why, so that
    submitting again files a new dossier only on purpose."""
    again = MultiDict(values)
    again["idempotency_key"] = uuid.uuid4().hex
    message = gettext(
        "Biểu mẫu này đã được nộp thành hồ sơ với nội dung khác, nên chưa nộp gì thêm. "
        "Kiểm tra lại; bấm nộp lần nữa để nộp thành một hồ sơ mới."
    )
    return again, {"idempotency_key": message}


def form_context(
    procedure: Procedure,
    values: MultiDict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    *,
    reusable: dict[str, Upload] | None = None,
    scan_message: str = "",
    scan_ok: bool = True,
    key: str = "",
    fee_channel: str = "",
) -> dict[str, Any]:
    """What templates/_dossier_form.html needs to draw the form for `procedure`; with
    `fee_channel` (`truc_tiep`, `truc_tuyen`), the fees in force to choose from."""
    values = values if values is not None else MultiDict()
    per_file, per_dossier = limits_text()
    return {
        "proc": procedure,
        "form": form_of(procedure),
        "v": values,
        "errors": errors or {},
        "provinces": places.provinces(),
        "province_of": province_of,
        "communes_in": communes_in,
        "reusable": reusable or {},
        "scan_message": scan_message,
        "scan_ok": scan_ok,
        "key": values.get("idempotency_key") or key or uuid.uuid4().hex,
        "per_file": per_file,
        "per_dossier": per_dossier,
        "max_bytes": upload_limits().per_file,
        "describe": forms.describe,
        "date_text": forms.date_text,
        "date_hint": forms.DATE_HINT,
        "address_text": forms.address_text,
        "genders": ("Nam", "Nữ"),
        "fee_choices": fee_choices(procedure, fee_channel) if fee_channel else [],
    }


def fee_choices(procedure: Procedure, channel_kind: str) -> list[tuple[int, int, str]]:
    """The fees of the procedure's channel in force today, as (place, amount, who it is for):
    the general one first, then the reduced ones the catalog lists (`dossiers.receive`'s
    `fee_rule`)."""
    from .domain.catalog import fees_on
    from .domain.clock import local, utcnow

    today = local(utcnow(), site_tz()).date()
    for ch in fees_on(procedure, today):
        if ch.channel.kind == channel_kind:
            return [(i, amount, why) for i, (amount, why) in enumerate(ch.fees)]
    return []
