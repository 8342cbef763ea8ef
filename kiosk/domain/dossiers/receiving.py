"""Receiving a dossier: the applicant and the form checked, the papers attached, the code, the
due date and the receipt's print job, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printers.printouts import ReceiptData

from ...models import (
    Dossier,
    DossierEvent,
    DossierSequence,
    PrintJob,
    Procedure,
    Upload,
    User,
)
from ...storage import next_in_sequence
from .. import idempotency, outbox, units
from ..accounts import audit
from ..accounts.roles import require
from ..catalog import forms
from ..catalog.procedures import form_of, in_force
from ..citizen_id import GENDERS, CccdError, check_number
from ..clock import VIETNAM, local, stored, utcnow, wall_clock
from ..printing.jobs import Printer, printout_job
from ..text import TextRefused, clean_text, phone_number
from . import uploads, workdays
from .states import DossierState, dossier_code, next_steps

S = DossierState
ADDRESS = forms.Field("address", "Địa chỉ", "address", required=False)
#: The catalog's channel for each way a dossier comes in.
CHANNEL_KINDS = {"direct": "truc_tiep", "online": "truc_tuyen"}


class DossierError(ValueError):
    """A dossier that cannot be received or moved; `errors` maps a field to its message."""

    def __init__(self, message: str, errors: dict[str, str] | None = None, status: int = 400):
        super().__init__(message)
        self.errors = errors or {}
        self.status = status


@dataclass(frozen=True)
class Applicant:
    """The citizen the dossier is for (*người nộp hồ sơ*)."""

    full_name: str
    cccd: str
    birth_date: dt.date | None = None
    gender: str = ""
    phone: str = ""
    address: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceiptPrint:
    """How a dossier's receipt (form 01) is printed: where, under which site's name, the
    address its QR code opens (`link` makes it from the dossier's code), in which zone."""

    printer: Printer
    site_name: str
    link: Callable[[str], str]
    tz: dt.tzinfo


@dataclass
class Received:
    dossier: Dossier
    created: bool = True


def clean_applicant(applicant: Applicant) -> tuple[Applicant, dict[str, str]]:
    """The applicant with their name and address as they are kept (NFC, `text.clean_text`),
    and every error by field (`full_name`, `cccd`, `address`...). Every entry files through
    here: the kiosk, the counter, the agent portal and the API."""
    errors: dict[str, str] = {}
    address = applicant.address
    if applicant.address:
        cleaned, problem = forms.check_value(ADDRESS, applicant.address)
        if problem:
            errors["address"] = problem
        else:
            address = cleaned
    name = applicant.full_name.strip()
    if not name:
        errors["full_name"] = "Nhập họ và tên người nộp."
    else:
        try:
            name = clean_text(name, "Họ và tên")
        except TextRefused as exc:
            errors["full_name"] = str(exc)
        if len(name) > 255:
            errors["full_name"] = "Họ và tên dài quá 255 ký tự."
    if applicant.gender and applicant.gender not in GENDERS:
        errors["gender"] = "Giới tính là Nam hoặc Nữ."
    try:
        check_number(
            applicant.cccd,
            applicant.birth_date,
            applicant.gender if applicant.gender in GENDERS else None,
        )
    except CccdError as exc:
        errors["cccd"] = str(exc)
    phone = ""
    if applicant.phone.strip():
        phone = phone_number(applicant.phone) or ""
        if not phone:
            errors["phone"] = "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0."
    return replace(applicant, full_name=name, address=address, phone=phone), errors


def _channel_terms(
    procedure: Procedure, channel: str, day: dt.date, fee_rule: int = 0
) -> tuple[Decimal, int, str]:
    """Working days, the fee in force of the procedure's channel for `channel` and why: the
    catalog lists the general fee first and then the reduced ones, each with who it is for;
    `fee_rule` picks one by its place (0, the general one, has no reason to give)."""
    kind = CHANNEL_KINDS.get(channel)
    if kind is None:
        raise DossierError("Kênh nộp hồ sơ phải là 'direct' hoặc 'online'.", {"channel": channel})
    found = next((ch for ch in procedure.channels if ch.kind == kind), None)
    if found is None:
        where = "trực tuyến" if channel == "online" else "trực tiếp"
        raise DossierError(
            f"Thủ tục {procedure.code} không nhận hồ sơ {where}.", {"procedure": procedure.code}
        )
    fees = in_force(found, day)
    if not fees and fee_rule == 0:
        return found.processing_days, 0, ""
    if not 0 <= fee_rule < len(fees):
        raise DossierError("Mức phí đã chọn không có trong thủ tục.",
                           {"fee": "Chọn một mức phí của thủ tục."})  # fmt: skip
    amount, why = fees[fee_rule]
    return found.processing_days, amount, why if fee_rule else ""


@dataclass(frozen=True)
class Papers:
    """What the dossier carries: `files` uploaded, by document name (`uploads.Wanted`), the
    papers an officer received on paper at the counter (names only), who sent the uploads, and
    the limits they must keep."""

    files: tuple[uploads.Wanted, ...] = ()
    on_paper: tuple[str, ...] = ()
    owner: str = ""
    limits: uploads.Limits = uploads.Limits.from_mb(10, 40)
    staff: bool = False


#: Said when a reduced fee is chosen without the paper that proves the citizen may have it.
FEE_PROOF_MISSING = (
    "Đã chọn mức phí giảm: cần giấy tờ chứng minh (ví dụ giấy chứng nhận người có công, thẻ "
    "học sinh, sinh viên); tải lên hoặc chọn mức chung."
)


def check(
    session: Session,
    procedure: Procedure,
    applicant: Applicant,
    fields: Any,
    papers: Papers,
    *,
    complete: bool,
    reduced_fee: bool = False,
) -> tuple[dict[str, Any], list[tuple[str, Upload]], dict[str, str]]:
    """The form's clean values, the uploads to attach, and every error by field: the
    applicant's (`full_name`, `cccd`, ...), the form's (`fields.<name>`) and the papers'
    (`documents.<name>`). `complete` asks for every required field and paper (online filing);
    at a counter the officer holds the paper form and papers, so what is given is checked but
    nothing more is asked. A `reduced_fee` asks for its proof (`uploads.FEE_PROOF`) wherever
    the dossier is filed: uploaded, or at a counter received on paper."""
    _, errors = clean_applicant(applicant)
    form = form_of(procedure)
    if not complete:
        form = [replace(f, required=False) for f in form]
    clean, form_errors = forms.validate(form, fields)
    errors.update({f"fields.{k}": v for k, v in form_errors.items()})
    names = [d.name for d in procedure.documents]
    required = [d.name for d in procedure.documents if d.required] if complete else []
    if reduced_fee:
        names.append(uploads.FEE_PROOF)
        required.append(uploads.FEE_PROOF)
    # A proof given and then the general fee chosen again: left out, not refused.
    files = [w for w in papers.files if reduced_fee or w.name != uploads.FEE_PROOF]
    on_paper = [n for n in papers.on_paper if reduced_fee or n != uploads.FEE_PROOF]
    found, doc_errors = uploads.check_attachable(
        session, files, owner=papers.owner, limits=papers.limits,
        required=[n for n in required if n not in on_paper], allowed=names,
        staff=papers.staff,
    )  # fmt: skip
    for name in on_paper:
        if name not in names:
            doc_errors[name[:255]] = f"Thủ tục này không có giấy tờ {name[:255]!r}."
    if (
        reduced_fee
        and uploads.FEE_PROOF in doc_errors
        and uploads.FEE_PROOF not in {w.name for w in files}
    ):
        doc_errors[uploads.FEE_PROOF] = FEE_PROOF_MISSING
    errors.update({f"documents.{k}": v for k, v in doc_errors.items()})
    return clean, found, errors


def receive(
    session: Session,
    procedure: Procedure,
    applicant: Applicant,
    *,
    channel: str,
    site_code: str,
    fields: dict[str, Any] | None = None,
    papers: Papers = Papers(),
    unit: str = "",
    actor: User | None = None,
    ticket_id: int | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
    calendar: workdays.Calendar | None = None,
    print_on: ReceiptPrint | None = None,
    agent: User | None = None,
    consent: Upload | None = None,
    caller: str = "",
    fee_rule: int = 0,
) -> Received:
    """Receive a dossier (see the module's docstring); DossierError lists what is wrong. Filed
    by an agent for a citizen, it records the agent and the branch and carries the citizen's
    signed authorization (`consent`, an upload), without which it is refused.

    `idempotency_key` is the caller's own (`domain.idempotency`): `caller` names them (a kiosk
    session, an anonymous client), by default the agent or actor (`user:<id>`). The same
    caller's key again answers the dossier it filed; with another request, `Conflict`.

    `fee_rule` is the catalog's reduced fee an agent or a counter officer chose for this
    citizen (`_channel_terms`), its reason kept on the dossier and printed on the receipt;
    nobody else may choose one."""
    if channel == "direct":
        require(actor, "dossier.receive")
    if agent is not None:
        require(agent, "agent.work")
    if len((idempotency_key or "").strip()) > idempotency.MAX_KEY:
        raise DossierError("Khóa chống trùng quá dài (tối đa 64 ký tự).")
    who = agent or actor
    key = idempotency.scoped(caller or (f"user:{who.id}" if who else ""), idempotency_key)
    # What the request asks for; which uploads carry the papers is left out, so that a client
    # that uploads its papers again before retrying still gets its dossier.
    asked = idempotency.digest(
        procedure.code, channel, asdict(applicant), fields,
        sorted(w.name for w in papers.files), sorted(papers.on_paper),
        *([fee_rule] if fee_rule else []),
    )  # fmt: skip
    if fee_rule and agent is None and channel != "direct":
        only = "Chỉ đại lý hoặc cán bộ tiếp nhận chọn mức phí giảm."
        raise DossierError(only, {"fee": only})
    if key is not None:
        existing = session.scalar(select(Dossier).where(Dossier.idempotency_key == key))
        if existing is not None:
            return _again(existing, asked)
    # No authorization: said with every other error of the form, not instead of them.
    no_consent = agent is not None and (consent is None or consent.dossier_id is not None)
    now = now or utcnow()
    here = wall_clock(now, tz)
    # The fee chosen is checked with the form (a reduced one asks for its proof); a channel the
    # procedure does not offer is said after the form's errors, as before.
    refused: DossierError | None = None
    try:
        days, fee, fee_reason = _channel_terms(procedure, channel, here.date(), fee_rule)
    except DossierError as exc:
        refused = exc
    fee_refused = refused.errors if refused is not None and "fee" in refused.errors else {}
    clean, found, errors = check(
        session, procedure, applicant, fields, papers, complete=channel != "direct",
        reduced_fee=fee_rule != 0 and refused is None,
    )  # fmt: skip
    if errors and fee_refused:
        errors.update(fee_refused)
    if no_consent:
        consent_error = {"consent_upload_id": "Tải lên giấy ủy quyền đã ký trước khi nộp."}
        if not errors:
            raise DossierError(
                "Cần giấy ủy quyền có chữ ký của công dân (consent_upload_id).", consent_error
            )
        errors = {**consent_error, **errors}
    if errors:
        raise DossierError("Hồ sơ chưa đúng hoặc còn thiếu, xem từng mục.", errors)
    if refused is not None:
        raise refused
    applicant, _ = clean_applicant(applicant)
    calendar = calendar if calendar is not None else workdays.load_calendar(session)
    accepted = channel == "direct"
    # Online, the clock starts when an officer accepts the dossier; until then the receipt
    # gives the date it would be due if accepted now.
    due = stored(workdays.due_at(here, float(days), calendar), tz)
    status = S.ACCEPTED if accepted else S.REGISTERED
    try:
        code = dossier_code(
            site_code,
            here.date(),
            next_in_sequence(session, DossierSequence, site_code=site_code, day=here.date()),
        )
        dossier = Dossier(
            id=str(uuid.uuid4()), code=code, site_code=site_code,
            unit=unit or units.unit_for(procedure.level, procedure.field, site_code,
                                        address=applicant.address, fields=clean),
            procedure_code=procedure.code, procedure_version=procedure.version,
            procedure_name=procedure.name, channel=channel,
            applicant_name=applicant.full_name.strip(),
            applicant_cccd=check_number(applicant.cccd),
            applicant_birth_date=applicant.birth_date, applicant_gender=applicant.gender,
            applicant_phone=applicant.phone,
            applicant_address=json.dumps(applicant.address, ensure_ascii=False),
            fields=json.dumps(clean, ensure_ascii=False), status=status,
            processing_days=days, fee_vnd=fee, fee_reason=fee_reason, received_at=now, due_at=due,
            ticket_id=ticket_id, received_by_id=actor.id if actor else None,
            idempotency_key=key, request_digest=asked if key is not None else None,
            branch_code=agent.branch_code if agent else None,
            agent_id=agent.id if agent else None,
            on_paper=json.dumps(
                [d.name for d in procedure.documents if d.name in papers.on_paper]
                + ([uploads.FEE_PROOF] if fee_rule and uploads.FEE_PROOF in papers.on_paper
                   else []),  # fmt: skip
                ensure_ascii=False,
            ),
        )  # fmt: skip
        session.add(dossier)
        session.flush()
        uploads.attach(found, dossier)
        if consent is not None:
            uploads.attach([(uploads.CONSENT, consent)], dossier)
            audit.record(session, agent, "dossier.file", dossier=code,
                         branch=agent.branch_code or "" if agent else "")  # fmt: skip
        session.add(
            DossierEvent(
                dossier=dossier,
                at=now,
                actor_id=actor.id if actor else None,
                actor_name=actor.full_name if actor else "",
                from_status="",
                to_status=status,
                due_at=due if accepted else None,
            )  # fmt: skip
        )
        outbox.dossier_received(session, dossier)
        outbox.papers(session, dossier, [up for _name, up in found]
                      + ([consent] if consent is not None else []))  # fmt: skip
        if print_on is not None:
            names = [name for name, _ in found] + list(papers.on_paper)
            ordered = [d.name for d in procedure.documents if d.name in names]
            session.add(_receipt_job(dossier, print_on, ordered, actor))
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.scalar(select(Dossier).where(Dossier.idempotency_key == key))
        if key is None or existing is None:
            raise
        return _again(existing, asked)
    except BaseException:
        session.rollback()
        raise
    return Received(dossier)


def _again(existing: Dossier, asked: str) -> Received:
    """The dossier a repeated key filed, if the request is the same one; else `Conflict`."""
    if existing.request_digest is not None and existing.request_digest != asked:
        raise idempotency.Conflict()
    return Received(existing, created=False)


def print_receipt_again(
    session: Session, dossier: Dossier, spec: ReceiptPrint, actor: User | None
) -> PrintJob:
    """Form 01 once more (a jammed printer, a lost paper), listing the papers kept with the
    dossier; added to the session for the caller to commit."""
    kept = {
        u.document_name
        for u in session.scalars(select(Upload).where(Upload.dossier_id == dossier.id))
        if u.document_name not in (uploads.CONSENT, uploads.RESULT)
    }
    names = [d for d in dossier_procedure_documents(session, dossier) if d in kept]
    job = _receipt_job(dossier, spec, names or sorted(kept), actor)
    session.add(job)
    return job


def dossier_procedure_documents(session: Session, dossier: Dossier) -> list[str]:
    """The procedure's papers in the catalog's order (empty when the procedure is gone)."""
    proc = session.scalar(select(Procedure).where(Procedure.code == dossier.procedure_code))
    return [d.name for d in proc.documents] if proc is not None else []


def _receipt_job(
    dossier: Dossier, spec: ReceiptPrint, documents: list[str], actor: User | None
) -> PrintJob:
    due = dossier.due_at or dossier.received_at
    data = ReceiptData(
        site_name=spec.site_name,
        dossier_code=dossier.code,
        procedure=dossier.procedure_name,
        applicant=dossier.applicant_name,
        documents=documents,
        received_at=wall_clock(dossier.received_at, spec.tz),
        due_date=local(due, spec.tz).date(),
        status_url=spec.link(dossier.code),
        officer=actor.full_name if actor else "",
        fee_vnd=dossier.fee_vnd,
        fee_reason=dossier.fee_reason or "",
        provisional=dossier.status == S.REGISTERED,
        next_steps=[
            line.vietnamese()
            for line in next_steps(dossier.status, local(due, spec.tz).date(), follow=False)
        ],
    )
    return printout_job(spec.printer, f"Hồ sơ {dossier.code}", data)
