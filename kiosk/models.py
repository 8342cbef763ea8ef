"""Tables. Vietnamese terms are in the docstrings; column names are English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .storage import Base

#: The largest id a row can have: every integer primary key is a 32-bit INTEGER on PostgreSQL.
#: A larger number in a URL or a form is no row's id (`view_helpers.IdConverter`,
#: `view_helpers.int_arg`), and never reaches the database, where it would fail rather than
#: find nothing.
MAX_ID = 2**31 - 1

#: Levels of the executing authority (*cấp thực hiện*) since the two-tier reform of 2025-07-01.
LEVELS = {"tinh": "Cấp tỉnh", "xa": "Cấp xã"}
#: Online levels (*mức độ dịch vụ công trực tuyến*); the portal's 4 and 3.
ONLINE_LEVELS = {"toan_trinh": "Toàn trình", "mot_phan": "Một phần"}
#: Channels (*cách thức thực hiện*); the portal's KENH 1, 2, 3.
CHANNELS = {"truc_tiep": "Trực tiếp", "truc_tuyen": "Trực tuyến", "buu_chinh": "Bưu chính"}


class Procedure(Base):
    """*Thủ tục hành chính* as published in the national database."""

    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    version: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(255), index=True)
    level: Mapped[str] = mapped_column(String(8), index=True)
    agency: Mapped[str] = mapped_column(Text, default="")
    online_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    any_desk: Mapped[bool] = mapped_column(Boolean, default=False)
    applicants: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    #: JSON: the e-form's fields (`domain.catalog.forms`), `[]` when the procedure has none.
    form: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    #: Folded (lower case, no diacritics, đ→d) name padded with spaces, for word-prefix matching.
    search_name: Mapped[str] = mapped_column(Text, default="")
    #: Folded name, code, field and agency.
    search_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    channels: Mapped[list[Channel]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", order_by="Channel.position"
    )
    documents: Mapped[list[RequiredDocument]] = relationship(
        back_populates="procedure",
        cascade="all, delete-orphan",
        order_by="RequiredDocument.position",
    )
    words: Mapped[list[ProcedureWord]] = relationship(cascade="all, delete-orphan")


class ProcedureWord(Base):
    """One folded word of a procedure's name, code, field or agency: the search index.

    Prefix look-ups are range scans on the primary key, on SQLite and PostgreSQL alike; the
    column uses the byte-order "C" collation on PostgreSQL so the ranges mean the same there.
    """

    __tablename__ = "procedure_word"

    word: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True
    )
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("procedure.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Channel(Base):
    """One *cách thức thực hiện*: in person, online or by post, with its time and fees."""

    __tablename__ = "procedure_channel"
    __table_args__ = (UniqueConstraint("procedure_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    #: *Thời hạn giải quyết* in working days; 0 means the same day (*trong ngày*).
    processing_days: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    time_note: Mapped[str] = mapped_column(Text, default="")

    procedure: Mapped[Procedure] = relationship(back_populates="channels")
    fees: Mapped[list[Fee]] = relationship(
        back_populates="channel", cascade="all, delete-orphan", order_by="Fee.position"
    )


class Fee(Base):
    """*Phí, lệ phí* of a channel, in whole VND, optionally valid only for a period."""

    __tablename__ = "procedure_fee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("procedure_channel.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    amount_vnd: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    channel: Mapped[Channel] = relationship(back_populates="fees")

    def applies_on(self, day: dt.date) -> bool:
        """Whether this fee is in force on `day`."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class RequiredDocument(Base):
    """One paper of *thành phần hồ sơ*: how many originals and copies, and its form template."""

    __tablename__ = "procedure_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text)
    originals: Mapped[int] = mapped_column(Integer, default=1)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    form: Mapped[str] = mapped_column(String(255), default="")
    #: The case (*trường hợp*) this paper belongs to, empty when it applies to every case.
    case: Mapped[str] = mapped_column(Text, default="")
    #: Whether every dossier must have it (a paper of one case only is not).
    required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    procedure: Mapped[Procedure] = relationship(back_populates="documents")


class PrintJob(Base):
    """One print-out waiting for, or delivered to, a printer (the spooler's queue).

    The bytes are stored whole, so a job cut off mid-way is sent again whole; the id is a
    random UUID so jobs stay unique when a site syncs upstream. Times are naive UTC, compared
    the same way on SQLite and PostgreSQL. A job written in the same transaction as what it
    prints (a ticket) carries its `layout` as JSON and no bytes yet: the spooler draws it, so
    the transaction stays short and the web workers never load the drawing code.
    """

    __tablename__ = "print_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    printer_url: Mapped[str] = mapped_column(String(255), index=True)
    profile: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    #: `{"layout": "ticket", "data": {...}}` while the bytes are still to be drawn, else "".
    layout: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: pending, sending (claimed by a worker until `claimed_until`), done
    state: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)


class PrinterState(Base):
    """What the spooler last learnt of a printer: online, offline, paper out, cover open."""

    __tablename__ = "printer_state"

    url: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")


#: Roles (*vai trò*), from the least to the most trusted. What each may do is decided in
#: `domain/accounts/roles.py`, not in templates.
ROLES = ("agent", "supervisor", "officer", "processor", "manager", "admin")


class User(Base):
    """A staff account: a counter officer (*cán bộ một cửa*), a manager, an admin, an agent."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    #: An agent's or supervisor's bank branch; none for the center's staff.
    branch_code: Mapped[str | None] = mapped_column(
        ForeignKey("branch.code", ondelete="RESTRICT"), nullable=True, index=True
    )
    #: The unit (a department's or commune's code, `Dossier.unit`) whose reports a manager
    #: reads; empty for the whole center.
    unit_code: Mapped[str] = mapped_column(String(64), default="", server_default="")
    #: The TOTP secret (RFC 6238) of a second factor, once enrolled or while enrolling.
    totp_secret: Mapped[str] = mapped_column(String(64), default="", server_default="")
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The time-step (RFC 6238 counter) of the last TOTP code accepted: a code is accepted once,
    #: and only a newer step's code after it.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Raised to end every session of the account (sign-out, password change, lock): a session
    #: carries the value it was signed in under and ends when they differ (`kiosk.auth`).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The password was set by someone else (created or reset by another person): the account
    #: must choose its own before any staff page opens.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class Branch(Base):
    """A bank branch acting as a public service agent (*đại lý dịch vụ công*)."""

    __tablename__ = "branch"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The bank's code as in kiosk/data/banks.json (BIDV, AGRIBANK, ...).
    bank: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(255))
    commune_code: Mapped[str] = mapped_column(String(5), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    #: The branch's receipt printer (the citizen's receipt, cash receipts, fee slips), empty
    #: for the site's default; an address the site allows (KIOSK_PRINTER_TCP_PORTS, ...).
    printer_url: Mapped[str] = mapped_column(String(255), default="", server_default="")
    printer_profile: Mapped[str] = mapped_column(String(64), default="", server_default="")


class ApiToken(Base):
    """A bearer token for another system acting as `user`. Only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """A failed sign-in, kept to slow down password guessing."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    #: Which step failed: "password", or "totp" (the second factor, counted on its own).
    step: Mapped[str] = mapped_column(String(16), default="password", server_default="password")


class Service(Base):
    """A queue service (*dịch vụ/lĩnh vực lấy số*): procedures grouped under one ticket letter.

    `fields` lists the catalog fields whose procedures take a number here, one per line; a
    service with none takes every procedure no other service claims.
    """

    __tablename__ = "queue_service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    prefix: Mapped[str] = mapped_column(String(1), unique=True)
    opens_at: Mapped[dt.time | None] = mapped_column(Time(), nullable=True)
    closes_at: Mapped[dt.time | None] = mapped_column(Time(), nullable=True)
    fields: Mapped[str] = mapped_column(Text, default="")
    #: Used for the wait estimate until enough tickets of the day have been served.
    default_minutes: Mapped[int] = mapped_column(Integer, default=10)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def field_list(self) -> list[str]:
        return [f.strip() for f in self.fields.splitlines() if f.strip()]


counter_service = Table(
    "counter_service",
    Base.metadata,
    Column("counter_id", ForeignKey("queue_counter.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("queue_service.id", ondelete="CASCADE"), primary_key=True),
)


class Counter(Base):
    """A counter (*quầy*), staffed by one officer, serving a set of services."""

    __tablename__ = "queue_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    #: The printer at this counter (receipts), empty for the default printer.
    printer_url: Mapped[str] = mapped_column(String(255), default="")
    printer_profile: Mapped[str] = mapped_column(String(64), default="")

    services: Mapped[list[Service]] = relationship(
        secondary=counter_service, order_by="Service.position"
    )
    officer: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return self.name or f"Quầy {self.number}"


class KioskStation(Base):
    """A kiosk machine and the printer beside it."""

    __tablename__ = "kiosk_station"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    printer_url: Mapped[str] = mapped_column(String(255), default="")
    printer_profile: Mapped[str] = mapped_column(String(64), default="")


class TicketSequence(Base):
    """The last number issued for a service on a local day; one row, locked per issue."""

    __tablename__ = "ticket_sequence"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("queue_service.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """A queue ticket (*số thứ tự*). A transfer ends this ticket as `transferred` and opens a
    new one with the same number in the target queue, keeping its place by `queued_at`."""

    __tablename__ = "queue_ticket"
    __table_args__ = (
        UniqueConstraint("service_id", "day", "seq", "leg", name="uq_ticket_number"),
        Index("ix_ticket_queue", "state", "service_id", "priority", "queued_at"),
        Index("ix_ticket_counter", "counter_id", "state"),
        Index("ix_ticket_day_called", "day", "called_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("queue_service.id"))
    day: Mapped[dt.date] = mapped_column(Date())
    seq: Mapped[int] = mapped_column(Integer)
    #: 0 for the ticket as issued, 1, 2 ... for each transfer.
    leg: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[str] = mapped_column(String(8))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A `kiosk.domain.queue.TicketState`, set by the queue when it makes the ticket.
    state: Mapped[str] = mapped_column(String(16))
    procedure_code: Mapped[str] = mapped_column(String(32), default="")
    target_counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_counter.id", ondelete="SET NULL"), nullable=True
    )
    counter_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_counter.id", ondelete="SET NULL"), nullable=True
    )
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    transferred_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_ticket.id"), nullable=True
    )
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime())
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime())
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    #: What the issuing screen estimated, kept to measure the estimate against reality.
    estimated_wait_minutes: Mapped[int] = mapped_column(Integer, default=0)

    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])


class QueueEvent(Base):
    """The queue's event log: displays and counters follow it over Server-Sent Events.

    Ids increase in commit order (writers serialise on a lock before appending), so a reader
    that has seen id N has seen everything before N.
    """

    __tablename__ = "queue_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime())
    kind: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    counter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")


class Holiday(Base):
    """A day of the site's working calendar that differs from Monday-to-Friday: a day off
    (*ngày nghỉ*: holidays, Tết, swapped days) or a worked weekend day (*ngày làm bù*).
    Seeded from the `holidays` package; a manager edits it when the government moves days."""

    __tablename__ = "work_calendar_day"

    day: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    #: `off` or `work`.
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text, default="")


class DossierSequence(Base):
    """The last dossier number minted by an agency (site) on a local day."""

    __tablename__ = "dossier_sequence"

    site_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Dossier(Base):
    """*Hồ sơ*: one citizen's application for one procedure. Its id is a random UUID and its
    code carries the site's agency code, so both stay unique when sites sync upstream. Times
    are naive UTC; the procedure's name and version are kept as they were when it was filed."""

    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_status_due", "status", "due_at"),
        Index("ix_dossier_received", "received_at"),
        Index("ix_dossier_unit_closed", "unit", "closed_at"),
        Index("ix_dossier_closed", "closed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    site_code: Mapped[str] = mapped_column(String(32))
    #: The unit the reports count it under (a department or commune code; the site's by default).
    unit: Mapped[str] = mapped_column(String(64), index=True)
    procedure_code: Mapped[str] = mapped_column(String(32), index=True)
    procedure_version: Mapped[str] = mapped_column(String(32), default="")
    procedure_name: Mapped[str] = mapped_column(Text)
    #: `direct` (at a counter, by an agent or by post) or `online` (the kiosk, the portal).
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_cccd: Mapped[str] = mapped_column(String(12), index=True)
    applicant_birth_date: Mapped[dt.date | None] = mapped_column(Date(), nullable=True)
    applicant_gender: Mapped[str] = mapped_column(String(8), default="")
    applicant_phone: Mapped[str] = mapped_column(String(20), default="")
    #: JSON: {"commune_code": ..., "detail": ...}
    applicant_address: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON: the e-form's values keyed by field name.
    fields: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(20))
    processing_days: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    fee_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: Why the fee is not the procedure's general one: the catalog's rule the agent or officer
    #: chose (e.g. "Sinh viên, người có công với cách mạng, thân nhân liệt sĩ"); "" otherwise.
    fee_reason: Mapped[str] = mapped_column(String(255), default="", server_default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime())
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    returned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    #: When it stopped being in progress: resolved (as `resolved_at`), refused, withdrawn or
    #: stopped. The reports count a period's dossiers from `received_at` and this.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    #: Kept by `uploads.attach` and `payments` for the service index, so that a province's
    #: month is counted without a subquery per dossier: its papers digitized (or reused), its
    #: result digitized, and how its fee was paid (`transfer`, `cash`, or empty).
    papers_digitized: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    result_digitized: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fee_paid_by: Mapped[str] = mapped_column(String(16), default="", server_default="")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_ticket.id", ondelete="SET NULL"), nullable=True
    )
    received_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    #: The filing's idempotency key as stored: a digest of the caller and the key they sent
    #: (`domain.idempotency`), so one caller's key never finds another's dossier.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: A digest of the filing request that key came with: the same key with another request
    #: is refused (409), not answered with this dossier.
    request_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The new date promised in an apology (form 04), when the due date cannot be kept.
    promised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    #: JSON list: the papers a counter officer ticked as received on paper (*bản giấy*).
    on_paper: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    #: Filed by an agent for the citizen: the agent's branch and account.
    branch_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.id", cascade="all, delete-orphan"
    )


class Unit(Base):
    """A unit the reports count dossiers under (`Dossier.unit`): a department of the province
    (*sở, ban, ngành*) or a commune (*xã, phường*, by its code); the center itself is the site."""

    __tablename__ = "report_unit"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    #: `department` or `commune`.
    kind: Mapped[str] = mapped_column(String(16))


class DossierEvent(Base):
    """Every move of a dossier (*quá trình xử lý*): who, when, from what to what, and why."""

    __tablename__ = "dossier_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[str] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime())
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)
    #: The hand-back (*trả kết quả*, `dossiers.hand_back`): who received the result, the kind
    #: (`cccd`, `passport`) and number of the ID checked, and where: `branch:<code>` or
    #: `center`. Empty on every other line.
    receiver_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    receiver_id_kind: Mapped[str] = mapped_column(String(16), default="", server_default="")
    receiver_id_number: Mapped[str] = mapped_column(String(16), default="", server_default="")
    place: Mapped[str] = mapped_column(String(64), default="", server_default="")

    dossier: Mapped[Dossier] = relationship(back_populates="events")


class Upload(Base):
    """A file a citizen, officer or agent sent (a scanned paper, a photo, the digitized result).
    It lies in the instance's upload folder under `stored_name`, a random name; the original
    name is kept only to show. It belongs to no dossier until one is received with it
    (`dossier_id`, `document_name`); an upload never attached expires
    (`domain.dossiers.uploads`)."""

    __tablename__ = "upload"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(64), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    #: `application/pdf`, `image/jpeg` or `image/png`, from the content.
    media_type: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int] = mapped_column(Integer, default=1)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    #: Who may see it before it is attached: `kiosk:<browser session>` or `user:<id>`.
    owner: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    dossier_id: Mapped[str | None] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), nullable=True, index=True
    )
    #: The paper of *thành phần hồ sơ* it is, or `ket_qua` for the dossier's result.
    document_name: Mapped[str] = mapped_column(Text, default="")
    #: The upload of an earlier dossier this one reuses (*tái sử dụng kết quả số hóa*).
    reused_from_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Rating(Base):
    """A citizen's satisfaction (1-5, with reasons) with a dossier or a counter visit."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[str | None] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("queue_ticket.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    score: Mapped[int] = mapped_column(Integer)
    #: JSON list of reason codes (`domain.ratings.REASONS`).
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    comment: Mapped[str] = mapped_column(Text, default="")
    #: Where it was given: `kiosk`, `status_page` or `counter`.
    source: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime())


class RateHit(Base):
    """One attempt counted against a rate limit (`domain.accounts.throttle`): what, who, when."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_key", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime())
    #: What the attempt weighs against a budget: an anonymous upload's size in bytes.
    cost: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class BankAccount(Base):
    """An account that collects a agency's fees (*tài khoản thu phí, lệ phí*): the bank by its
    NAPAS BIN, the number (or card), the holder's name as the bank writes it."""

    __tablename__ = "bank_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The collecting agency: a unit or site code, as `Dossier.unit`.
    agency: Mapped[str] = mapped_column(String(64), index=True)
    bank_bin: Mapped[str] = mapped_column(String(6))
    bank_name: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(19))
    holder: Mapped[str] = mapped_column(String(64))
    #: `QRIBFTTA` (an account) or `QRIBFTTC` (a card).
    service: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())


class BankPartner(Base):
    """A bank that notifies payments, and the secret it signs them with (`kiosk banks secret`)."""

    __tablename__ = "bank_partner"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    rotated_at: Mapped[dt.datetime] = mapped_column(DateTime())


class Payment(Base):
    """What a dossier owes or paid, under a unique reference (the VietQR bill number)."""

    __tablename__ = "payment"
    __table_args__ = (
        Index("ix_payment_dossier_status", "dossier_id", "status", "method"),
        #: A bank's transaction settles one payment of one site: two banks' ids can coincide,
        #: and so can two sites' at the province's hub.
        UniqueConstraint("site", "bank_code", "bank_txn_id", name="uq_payment_site_bank_txn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(25), unique=True)
    dossier_id: Mapped[str] = mapped_column(
        ForeignKey("dossier.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_account.id", ondelete="SET NULL"), nullable=True
    )
    amount_vnd: Mapped[int] = mapped_column(Integer)
    #: A `kiosk.domain.money.PaymentState`: `pending`, `paid`, `expired` or `refunded`.
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: `transfer` (VietQR, confirmed by the bank) or `cash` (recorded by an officer or agent).
    method: Mapped[str] = mapped_column(String(16))
    #: The VietQR payload shown and printed for it.
    payload: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime())
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True, index=True)
    bank_code: Mapped[str] = mapped_column(String(16), default="")
    bank_txn_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: At the province's hub, the site whose payment this is (its JetStream domain, as the
    #: hub's stream stamped its event); empty for the database's own payments.
    site: Mapped[str] = mapped_column(String(40), default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    #: Cash taken at a bank branch's desk: that branch (the center's counters: None), which
    #: holds the money until it hands it over. Not the branch that filed the dossier.
    branch_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    #: Cash a bank branch collected: the hand-over to the agency that included it.
    remittance_id: Mapped[int | None] = mapped_column(
        ForeignKey("remittance.id", ondelete="RESTRICT"), nullable=True, index=True
    )


class Remittance(Base):
    """Cash a bank branch collected for dossiers' fees, handed over to the collecting agency
    (*nộp tiền về cơ quan*): how much, for how many payments, when, by whom, with the bank's
    transfer reference."""

    __tablename__ = "remittance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_code: Mapped[str] = mapped_column(
        ForeignKey("branch.code", ondelete="RESTRICT"), index=True
    )
    amount_vnd: Mapped[int] = mapped_column(Integer)
    payments: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    recorded_by_name: Mapped[str] = mapped_column(String(255), default="")
    reference: Mapped[str] = mapped_column(String(64), default="")


class PaymentNotice(Base):
    """Every notification a bank sent, accepted or refused, with the outcome and the reason
    (`paid`, `duplicate`, `flagged_*` for a person to look at, or why it was refused)."""

    __tablename__ = "payment_notice"
    __table_args__ = (
        Index("ix_payment_notice_txn", "bank_code", "bank_txn_id"),
        Index("ix_payment_notice_outcome", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    bank_code: Mapped[str] = mapped_column(String(16), default="")
    bank_txn_id: Mapped[str] = mapped_column(String(64), default="")
    reference: Mapped[str] = mapped_column(String(25), default="")
    amount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """The append-only audit log: who did what, when, where, to which dossier, and how it
    ended. The code has no path that updates or deletes an entry."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    branch_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    action: Mapped[str] = mapped_column(String(48))
    dossier_code: Mapped[str] = mapped_column(String(40), default="", index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")


class OutboxEvent(Base):
    """A change the province must know (*dữ liệu đồng bộ lên tỉnh*), written in the same
    transaction as the change (`domain.outbox.record`). The relay publishes the unsent ones in
    `seq` order to the site's NATS JetStream, with `id` as the message id the hub de-duplicates
    by, and stamps `sent_at` once the site's server has acked."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_unsent", "sent_at", "seq"),
        #: A day's unsent queue figures, found at every ticket change (`outbox.queue_day`).
        Index("ix_outbox_event_kind_unsent", "kind", "sent_at"),
        #: `seq` is never given twice (an event deleted at the end must not lend its number to
        #: the next: `outbox.queue_day`); PostgreSQL's sequence never reuses one anyway.
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: A random UUID: unique across every site, so the hub can tell a republished event.
    id: Mapped[str] = mapped_column(String(36), unique=True)
    #: What happened, e.g. `dossier.received`, `dossier.moved`, `payment.paid`.
    kind: Mapped[str] = mapped_column(String(48))
    #: JSON: the record as the province needs it (`domain.outbox` says what each kind carries).
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True)


class ProvinceEvent(Base):
    """At the province's hub: an event received from a site, stored once by its id
    (`kiosk sync ingest`), whatever number of times the site's stream delivered it."""

    __tablename__ = "province_event"
    __table_args__ = (
        Index("ix_province_event_site_at", "site", "occurred_at"),
        Index("ix_province_event_subject", "site", "subject_id", "site_seq"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: The site's JetStream domain (its code with dots as dashes), as the hub's stream stamped it.
    site: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(48))
    payload: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime())
    received_at: Mapped[dt.datetime] = mapped_column(DateTime())
    #: The event's place in its site's outbox (`OutboxEvent.seq`): of two events about one
    #: record, the later one's data stands, whatever order they reached the hub in.
    site_seq: Mapped[int] = mapped_column(Integer)
    #: The record the event is about (a dossier's id), when it is about one.
    subject_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: When applying it to the hub's tables last failed (None: applied, or nothing to apply,
    #: or waiting for its dossier), and why; kept so that `kiosk sync reapply` can try again.
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(), nullable=True, index=True)
    error: Mapped[str] = mapped_column(Text, default="", server_default="")


class SyncSite(Base):
    """At the hub: each site's leaf link as the ingest last saw it in the hub's stream (the
    stream's source for the site active within `LINK_SECONDS`), for the sync status."""

    __tablename__ = "sync_site"

    site: Mapped[str] = mapped_column(String(40), primary_key=True)
    link_up: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Events the site's stream holds that the hub has not taken yet (-1: unknown).
    lag: Mapped[int] = mapped_column(Integer, default=-1)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime())


class QueueDayFigures(Base):
    """At the hub: a site's queue figures of one day, the latest its outbox sent (`queue.day`,
    `reports.queue.day_figures`), which the hub's queue statistics add to its own."""

    __tablename__ = "queue_day_figures"

    #: The site's JetStream domain, as `ProvinceEvent.site`.
    site: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date(), primary_key=True)
    #: The event's place in its site's outbox: a later one replaces these, an older one not.
    site_seq: Mapped[int] = mapped_column(Integer)
    #: JSON: the figures as the site computed them.
    figures: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime())


class SiteSetting(Base):
    """A setting of the site that its manager changes on a screen (not in the deployment's
    settings), e.g. `speech_volume`: one row per key, the value as text."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime())
    #: Who changed it last (the user's name as it was then).
    updated_by: Mapped[str] = mapped_column(String(255), default="")
