"""At the province's hub: the sites' events stored once each (`receive_all`), and the records
they carry kept in the hub's own tables (`dossier`, `dossier_event`, `payment`, a dossier's
`rating`), so that the hub's lists, dossier pages, reports and index cover every site as they
cover its own; and each site's link and last events (`sync_status`, `/api/v1/sync/status`).

Events about one dossier may reach the hub out of their order (an ingest killed with a batch
unacked gets it again after later ones). Each event carries its place in its site's outbox
(`site_seq`); a dossier's data is taken from an event only when no later event of its family
(`_family`: a dossier's own, a payment, a paper, a rating) about it from
its site is stored, and the moves of its timeline are added whatever their order. A payment,
a rating or a paper whose dossier has not arrived yet waits in `province_event` and is applied
when the dossier arrives (applying one twice changes nothing: each is kept by its own key); a
counter visit's rating stays in `province_event` only. A day's queue figures (`queue.day`) are
kept per site and day in `queue_day_figures`, the latest in the site's outbox standing.

A batch is applied in one savepoint, what it looks up fetched once (`_Batch`, the session's
autoflush off). An event that cannot be applied never stops the others: the batch is applied
again one savepoint per event, the failing one stays stored with `failed_at` and its `error`,
counted on the sync's status, and `reapply` tries it again once its cause is set right.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Numeric, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from ..models import (
    Dossier,
    DossierEvent,
    Payment,
    ProvinceEvent,
    QueueDayFigures,
    Rating,
    SiteSetting,
    SyncSite,
    Upload,
    User,
)
from .accounts.roles import require
from .clock import utcnow
from .text import N_

log = logging.getLogger("kiosk.province")


def _subject(kind: str, data: dict[str, Any]) -> str | None:
    if kind.startswith("dossier."):
        dossier = data.get("dossier")
        return str(dossier["id"]) if isinstance(dossier, dict) and "id" in dossier else None
    if kind.startswith(("payment.", "rating.", "paper.")):
        return str(data["dossier_id"]) if data.get("dossier_id") else None
    if kind == "queue.day":
        figures = data.get("figures")
        return f"day:{figures['day']}" if isinstance(figures, dict) and "day" in figures else None
    return None


@dataclass(frozen=True)
class Incoming:
    """A site's event as the hub's stream delivered it."""

    event_id: str
    site: str
    kind: str
    payload: str
    occurred_at: dt.datetime
    site_seq: int


#: Database errors that say nothing about the event (the database unreachable, locked): they
#: stop the batch, which is neither committed nor acked and comes again.
_TRANSIENT = (OperationalError, InterfaceError)


@dataclass
class _Unit:
    """One event to apply: `row` when it is read back from `province_event` (a caught-up or
    a failed one), whose failure mark goes once it applies."""

    e: Incoming
    data: dict[str, Any]
    subject: str
    row: ProvinceEvent | None = None


def _family(kind: str) -> str:
    """What an event's data is about: `dossier` (the record and its moves), `payment`, `paper`,
    `rating`, `queue` (a day's figures). A later event stands over an earlier one of its own
    family only."""
    return kind.split(".", 1)[0]


class _Batch:
    """What applying events looks up, fetched once for a batch (`prefetch`) and kept as the
    events change it: the session does not flush between events (an autoflush before each
    event's query cost about 10 ms an event), so what an event adds is found here by the next
    one, not by a query. A key not held is looked up in the database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.reset()
        self.latest: dict[tuple[str, str, str], int] = {}

    def reset(self) -> None:
        """Forget every lookup (after a rollback, which took some of them away)."""
        self.dossiers: dict[str, Dossier | None] = {}
        self.payments: dict[str, Payment | None] = {}
        self.ratings: dict[str, Rating | None] = {}
        self.uploads: dict[str, Upload | None] = {}
        self.figures: dict[tuple[str, dt.date], QueueDayFigures | None] = {}
        self.waiting: dict[tuple[str, str], list[ProvinceEvent]] = {}

    def prefetch(self, units: list[_Unit]) -> None:
        """The latest event of each subject, and the records the units touch, one query each."""
        s = self.session
        by_site: dict[str, set[str]] = {}
        for u in units:
            by_site.setdefault(u.e.site, set()).add(u.subject)
        for site, subjects in by_site.items():
            for subject, kind, seq in s.execute(
                select(ProvinceEvent.subject_id, ProvinceEvent.kind,
                       func.max(ProvinceEvent.site_seq))
                .where(ProvinceEvent.site == site, ProvinceEvent.subject_id.in_(subjects))
                .group_by(ProvinceEvent.subject_id, ProvinceEvent.kind)
            ):  # fmt: skip
                if subject is not None:
                    key = (site, subject, _family(kind))
                    self.latest[key] = max(self.latest.get(key, 0), int(seq))
        ids = {u.subject for u in units if not u.subject.startswith("day:")}
        if ids:
            self.dossiers |= dict.fromkeys(ids)
            found = s.scalars(select(Dossier).where(Dossier.id.in_(ids)))
            self.dossiers |= {d.id: d for d in found}
            self.ratings |= dict.fromkeys(ids)
            rated = s.scalars(select(Rating).where(Rating.dossier_id.in_(ids)))
            self.ratings |= {str(r.dossier_id): r for r in rated}
        refs = {str(r.get("reference")) for r in _records(units, "payment.", "payment")}
        if refs:
            self.payments |= dict.fromkeys(refs)
            paid = s.scalars(select(Payment).where(Payment.reference.in_(refs)))
            self.payments |= {p.reference: p for p in paid}
        papers = {str(r.get("id")) for r in _records(units, "paper.", "paper")}
        if papers:
            self.uploads |= dict.fromkeys(papers)
            kept = s.scalars(select(Upload).where(Upload.id.in_(papers)))
            self.uploads |= {p.id: p for p in kept}
        # The events that wait for a dossier this batch brings.
        coming = {
            (u.e.site, u.subject)
            for u in units
            if u.e.kind.startswith("dossier.") and self.dossiers.get(u.subject) is None
        }
        for site in {site for site, _ in coming}:
            wanted = {subject for at, subject in coming if at == site}
            self.waiting |= {(site, subject): [] for subject in wanted}
            for row in s.scalars(
                select(ProvinceEvent).where(
                    ProvinceEvent.site == site, ProvinceEvent.subject_id.in_(wanted),
                    ~ProvinceEvent.kind.startswith("dossier."),
                ).order_by(ProvinceEvent.site_seq)
            ):  # fmt: skip
                self.waiting[(site, str(row.subject_id))].append(row)

    def newest(self, e: Incoming, subject: str) -> bool:
        """Whether `e` is the latest event of its family (`_family`) about `subject` from its
        site: a paper stored after a dossier's move says nothing of the dossier's state."""
        key = (e.site, subject, _family(e.kind))
        if key not in self.latest:
            self.latest[key] = int(
                self.session.scalar(
                    select(func.max(ProvinceEvent.site_seq)).where(
                        ProvinceEvent.site == e.site, ProvinceEvent.subject_id == subject,
                        ProvinceEvent.kind.startswith(key[2] + "."),
                    )
                )
                or 0
            )  # fmt: skip
        return self.latest[key] == e.site_seq

    def dossier(self, dossier_id: str) -> Dossier | None:
        if dossier_id not in self.dossiers:
            self.dossiers[dossier_id] = self.session.get(Dossier, dossier_id)
        return self.dossiers[dossier_id]

    def payment(self, reference: str) -> Payment | None:
        if reference not in self.payments:
            self.payments[reference] = self.session.scalar(
                select(Payment).where(Payment.reference == reference)
            )
        return self.payments[reference]

    def rating(self, dossier_id: str) -> Rating | None:
        if dossier_id not in self.ratings:
            self.ratings[dossier_id] = self.session.scalar(
                select(Rating).where(Rating.dossier_id == dossier_id)
            )
        return self.ratings[dossier_id]

    def upload(self, upload_id: str) -> Upload | None:
        if upload_id not in self.uploads:
            self.uploads[upload_id] = self.session.get(Upload, upload_id)
        return self.uploads[upload_id]

    def day(self, site: str, day: dt.date) -> QueueDayFigures | None:
        if (site, day) not in self.figures:
            self.figures[(site, day)] = self.session.get(QueueDayFigures, (site, day))
        return self.figures[(site, day)]

    def waiting_for(self, site: str, dossier_id: str) -> list[ProvinceEvent]:
        """The events about a dossier that is not at the hub yet, other than its own, in their
        site's order."""
        if (site, dossier_id) not in self.waiting:
            self.waiting[(site, dossier_id)] = list(
                self.session.scalars(
                    select(ProvinceEvent).where(
                        ProvinceEvent.site == site, ProvinceEvent.subject_id == dossier_id,
                        ~ProvinceEvent.kind.startswith("dossier."),
                    ).order_by(ProvinceEvent.site_seq)
                )
            )  # fmt: skip
        return self.waiting[(site, dossier_id)]


def _records(units: list[_Unit], kind: str, key: str) -> list[dict[str, Any]]:
    """The records (`data[key]`) the units of a kind carry."""
    return [u.data[key] for u in units
            if u.e.kind.startswith(kind) and isinstance(u.data.get(key), dict)]  # fmt: skip


class EventRefused(ValueError):
    """An event the hub cannot apply as it stands (it would make two sites' records one)."""


def receive_all(session: Session, events: list[Incoming]) -> int:
    """Store the events whose ids are not stored yet, in one INSERT ... ON CONFLICT DO NOTHING
    (two ingests racing never fail), and apply each new one to the hub's tables in the order
    given. Returns how many were new; committed by the caller, which acks the messages only
    after the commit.

    An event that cannot be applied (a payment that would make two sites' one, a malformed
    record) never stops the others: it stays stored, marked with its error (`failed_at`,
    `error`), logged, counted on the sync's status, and `reapply` tries it again."""
    rows: list[dict[str, Any]] = []
    parsed: dict[str, tuple[Incoming, dict[str, Any], str | None]] = {}
    now = utcnow()
    for e in events:
        if e.event_id in parsed:
            continue
        try:
            data = json.loads(e.payload)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        subject = _subject(e.kind, data)
        parsed[e.event_id] = (e, data, subject)
        rows.append({
            "id": e.event_id, "site": e.site, "kind": e.kind, "payload": e.payload,
            "occurred_at": e.occurred_at, "received_at": now, "site_seq": e.site_seq,
            "subject_id": subject,
        })  # fmt: skip
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # One statement compiled once and cached (insertmanyvalues), where a VALUES of the batch's
    # rows was compiled anew for every batch.
    new = set(
        session.scalars(
            insert(ProvinceEvent)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(ProvinceEvent.id),
            rows,
        )
    )
    units = [
        _Unit(e, data, subject)
        for event_id, (e, data, subject) in parsed.items()
        if event_id in new and subject is not None
    ]
    _apply_units(session, units)
    return len(new)


def _apply_units(session: Session, units: list[_Unit]) -> int:
    """Apply the units in their order, all in one savepoint; when one fails, again one
    savepoint each, so that only the failing ones are left out (marked). Returns how many
    failed."""
    if not units:
        return 0
    batch = _Batch(session)
    with session.no_autoflush:
        try:
            with session.begin_nested():
                batch.prefetch(units)
                for unit in units:
                    _run(session, batch, unit, each=False)
                session.flush()
            return 0
        except _TRANSIENT:
            raise
        except Exception:  # noqa: BLE001 - one of them is poison: find which, one by one
            batch.reset()
        failed = 0
        for unit in units:
            failed += _run(session, batch, unit, each=True)
        return failed


def _run(session: Session, batch: _Batch, unit: _Unit, *, each: bool) -> int:
    """Apply one unit and the events it lets apply (a dossier's waiting ones): inside the
    caller's savepoint, or with `each` each in its own savepoint, a failure marked on its
    event. Returns how many failed."""
    queue = [unit]
    failed = 0
    while queue:
        u = queue.pop(0)
        caught: list[_Unit] = []
        if not each:
            _apply(session, batch, u, caught)
            _applied(u)
        else:
            session.flush()
            try:
                with session.begin_nested():
                    _apply(session, batch, u, caught)
                    _applied(u)
                    session.flush()
            except _TRANSIENT:
                raise
            except Exception as exc:  # noqa: BLE001 - kept, marked, shown; the rest goes on
                batch.reset()
                _fail(session, u, exc)
                failed += 1
                continue
        queue[0:0] = caught
    return failed


def _applied(u: _Unit) -> None:
    if u.row is not None and u.row.failed_at is not None:
        u.row.failed_at, u.row.error = None, ""


def _fail(session: Session, u: _Unit, exc: Exception) -> None:
    why = f"{type(exc).__name__}: {exc}"[:2000]
    log.error("Không áp dụng được sự kiện %s (%s, %s #%d): %s",
              u.e.event_id, u.e.kind, u.e.site, u.e.site_seq, why)  # fmt: skip
    session.execute(
        update(ProvinceEvent)
        .where(ProvinceEvent.id == u.e.event_id)
        .values(failed_at=utcnow(), error=why)
        .execution_options(synchronize_session=False)
    )
    if u.row is not None:
        session.expire(u.row, ["failed_at", "error"])


def reapply(session: Session, site: str | None = None) -> tuple[int, int]:
    """Apply again the events whose applying failed (of one site, by its code or domain, or of
    every site), in their sites' order, each in its own savepoint; committed by the caller.
    Returns (applied, still failing)."""
    q = select(ProvinceEvent).where(ProvinceEvent.failed_at.is_not(None))
    if site is not None:
        q = q.where(ProvinceEvent.site == domain_of(site))
    rows = list(session.scalars(q.order_by(ProvinceEvent.site, ProvinceEvent.site_seq)))
    if not rows:
        return 0, 0
    units = []
    for row in rows:
        try:
            data = json.loads(row.payload)
        except ValueError:
            data = None
        e = Incoming(row.id, row.site, row.kind, row.payload, row.occurred_at, row.site_seq)
        units.append(_Unit(e, data if isinstance(data, dict) else {}, str(row.subject_id), row))
    batch = _Batch(session)
    failed = 0
    with session.no_autoflush:
        for unit in units:
            failed += _run(session, batch, unit, each=True)
    return len(units) - failed, failed


def failed_counts(session: Session) -> dict[str, int]:
    """The events each site sent that the hub could not apply (`failed_at` set)."""
    return {
        site: int(n)
        for site, n in session.execute(
            select(ProvinceEvent.site, func.count())
            .where(ProvinceEvent.failed_at.is_not(None))
            .group_by(ProvinceEvent.site)
        )
    }


def receive(
    session: Session, *, event_id: str, site: str, kind: str, payload: str,
    occurred_at: dt.datetime, site_seq: int,
) -> bool:  # fmt: skip
    """One event (`receive_all`): True when it was new."""
    return (
        receive_all(session, [Incoming(event_id, site, kind, payload, occurred_at, site_seq)]) == 1
    )


def _typed(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """`data`'s values for `model`'s columns, read back from JSON (dates, decimals)."""
    out: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.key not in data:
            continue
        value = data[column.key]
        if value is not None:
            if isinstance(column.type, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                value = dt.date.fromisoformat(value)
            elif isinstance(column.type, Numeric):
                value = Decimal(str(value))
        out[column.key] = value
    return out


def _apply(session: Session, batch: _Batch, u: _Unit, caught: list[_Unit]) -> None:
    """Apply one event; the events waiting for the dossier it brings go into `caught`."""
    e, data = u.e, u.data
    newest = batch.newest(e, u.subject)
    kind = e.kind
    if kind == "queue.day":
        _apply_figures(session, batch, e, data["figures"])
        return
    if kind.startswith("dossier."):
        fields = _typed(Dossier, data["dossier"])
        dossier = batch.dossier(str(fields["id"]))
        if dossier is None:
            dossier = Dossier(**fields)
            session.add(dossier)
            batch.dossiers[dossier.id] = dossier
            caught.extend(_catch_up(batch, e, str(fields["id"])))
        elif newest:
            for key, value in fields.items():
                setattr(dossier, key, value)
        move = data.get("move")
        if kind == "dossier.received":
            move = {"at": data["dossier"].get("received_at"), "from_status": "",
                    "to_status": data["dossier"].get("status"),
                    "due_at": data["dossier"].get("due_at")}  # fmt: skip
        if isinstance(move, dict):
            moved = _typed(DossierEvent, move)
            moved.pop("id", None)
            moved.pop("dossier_id", None)
            session.add(DossierEvent(dossier=dossier, **moved))
        return
    found_dossier = batch.dossier(str(data.get("dossier_id")))
    if found_dossier is None:
        return
    if kind == "paper.stored":
        paper = _typed(Upload, data["paper"])
        if batch.upload(str(paper["id"])) is None:
            # The metadata only: the file stays at its site (`stored_name` empty) until files
            # move too; the hub's pages show the paper without opening it.
            kept = Upload(**paper, stored_name="", owner=f"site:{e.site}"[:64])
            session.add(kept)
            batch.uploads[kept.id] = kept
        return
    if kind == "rating.stored":
        given = _typed(Rating, data["rating"])
        found = batch.rating(found_dossier.id)
        if found is None:
            rating = Rating(**given)
            session.add(rating)
            batch.ratings[found_dossier.id] = rating
        elif newest:
            for key, value in given.items():
                setattr(found, key, value)
        return
    fields = _typed(Payment, data["payment"])
    fields.pop("id", None)
    fields["site"] = e.site  # the stream's word for whose it is, not the record's
    paid = batch.payment(str(fields["reference"]))
    if paid is None:
        paid = Payment(**fields)
        session.add(paid)
        batch.payments[paid.reference] = paid
    elif paid.dossier_id != found_dossier.id:
        # Another dossier's payment under the same reference (two sites' codes coincided):
        # never taken for the same payment.
        raise EventRefused(f"payment reference {paid.reference} is another dossier's")
    elif newest:
        for key, value in fields.items():
            setattr(paid, key, value)
    if newest:
        found_dossier.fee_paid_by = str(data.get("fee_paid_by", ""))


def _catch_up(batch: _Batch, e: Incoming, dossier_id: str) -> list[_Unit]:
    """A dossier arriving after events about it (its papers, payments, rating: a batch
    redelivered out of order): those stored already are applied next, in their site's order
    (one of the same batch is applied again in its turn, which changes nothing)."""
    units = []
    for row in batch.waiting_for(e.site, dossier_id):
        try:
            data = json.loads(row.payload)
        except ValueError:
            continue
        if isinstance(data, dict):
            was = Incoming(row.id, row.site, row.kind, row.payload, row.occurred_at, row.site_seq)
            units.append(_Unit(was, data, dossier_id, row))
    return units


def _apply_figures(session: Session, batch: _Batch, e: Incoming, figures: dict[str, Any]) -> None:
    """A site's day of queue figures: kept unless a later event of that day is kept already."""
    day = dt.date.fromisoformat(figures["day"])
    row = batch.day(e.site, day)
    text = json.dumps(figures, ensure_ascii=False, separators=(",", ":"))
    if row is None:
        row = QueueDayFigures(site=e.site, day=day, site_seq=e.site_seq, figures=text,
                              received_at=utcnow())  # fmt: skip
        session.add(row)
        batch.figures[(e.site, day)] = row
    elif e.site_seq > row.site_seq:
        row.site_seq, row.figures, row.received_at = e.site_seq, text, utcnow()


def domain_of(site_code: str) -> str:
    """A site's code as the hub's events name it (its JetStream domain: the dots as dashes,
    the rule of `kiosk.sync.names.domain_of`)."""
    return site_code.strip().replace(".", "-")


def queue_figures(
    session: Session, start: dt.date, end: dt.date, site: str | None = None
) -> list[dict[str, Any]]:
    """The sites' days of queue figures from `start` to `end` (of one site, by its code or
    domain, or of every site)."""
    q = select(QueueDayFigures.figures).where(
        QueueDayFigures.day >= start, QueueDayFigures.day <= end
    )
    if site is not None:
        q = q.where(QueueDayFigures.site == domain_of(site))
    return [json.loads(text) for text in session.scalars(q.order_by(QueueDayFigures.day))]


def figure_sites(session: Session) -> list[str]:
    """The sites (their domains) whose queue figures the hub holds."""
    return list(session.scalars(select(QueueDayFigures.site).distinct()))


# ---------------------------------------------------------------- the sync's status

#: A site's link counts as up while the hub's stream heard from it this recently (its durable
#: consumer sends a heartbeat every 5 s when it has nothing to deliver).
LINK_SECONDS = 20


def note_links(session: Session, seen: dict[str, tuple[bool, int]], at: dt.datetime) -> None:
    """Keep what the ingest saw of each site's link: {site: (link up, lag)}; committed by the
    caller."""
    for site, (up, lag) in seen.items():
        row = session.get(SyncSite, site)
        if row is None:
            session.add(SyncSite(site=site, link_up=up, lag=lag, checked_at=at))
        else:
            row.link_up, row.lag, row.checked_at = up, lag, at


@dataclass(frozen=True)
class SiteStatus:
    """One site as the hub sees it: its last event, how many happened today, its link, and
    how many of its events the hub could not apply (`reapply` tries them again)."""

    site: str
    last_event_at: dt.datetime | None
    events_today: int
    link_up: bool
    events_failed: int = 0


def sync_status(
    session: Session, actor: User | None, *, day_start: dt.datetime, day_end: dt.datetime,
    now: dt.datetime | None = None,
) -> list[SiteStatus]:  # fmt: skip
    """Every site the hub knows (by its link or its events), for someone allowed `sync.read`;
    `day_start`/`day_end` bound today (naive UTC, the site's day). A link last checked more
    than LINK_SECONDS × 3 ago (the ingest stopped) counts as down."""
    require(actor, "sync.read")
    now = now or utcnow()
    links = {row.site: row for row in session.scalars(select(SyncSite))}
    last = dict(
        session.execute(
            select(ProvinceEvent.site, func.max(ProvinceEvent.occurred_at)).group_by(
                ProvinceEvent.site
            )
        ).all()
    )
    today = dict(
        session.execute(
            select(ProvinceEvent.site, func.count())
            .where(ProvinceEvent.occurred_at >= day_start, ProvinceEvent.occurred_at < day_end)
            .group_by(ProvinceEvent.site)
        ).all()
    )
    failed = failed_counts(session)
    fresh = now - dt.timedelta(seconds=LINK_SECONDS * 3)
    return [
        SiteStatus(
            site=site,
            last_event_at=last.get(site),
            events_today=int(today.get(site, 0)),
            link_up=site in links and links[site].link_up and links[site].checked_at >= fresh,
            events_failed=failed.get(site, 0),
        )
        for site in sorted(set(links) | set(last))
    ]


# ---------------------------------------------------------------- a silent site

#: The `site_setting` key of the hours after which a site that sent nothing is flagged on the
#: hub's dashboard, and its default.
SILENT_HOURS = "sync_silent_hours"
DEFAULT_SILENT_HOURS = 2
#: The longest a manager may set (a month).
MAX_SILENT_HOURS = 720


HOURS_REFUSED = N_("Số giờ là một số nguyên từ 1 đến 720 (tối đa 30 ngày).")


class SettingInvalid(ValueError):
    """A setting refused; the message says why, in Vietnamese."""


def silent_hours(session: Session) -> int:
    """The hours after which a silent site is flagged (the manager's, else 2)."""
    row = session.get(SiteSetting, SILENT_HOURS)
    if row is None or not row.value.isdigit():
        return DEFAULT_SILENT_HOURS
    return max(1, min(int(row.value), MAX_SILENT_HOURS))


def set_silent_hours(session: Session, user: User, value: str) -> int:
    """Keep the manager's hours, a whole number from 1 to 720; SettingInvalid otherwise."""
    require(user, "sync.read")
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_SILENT_HOURS:
        raise SettingInvalid(HOURS_REFUSED)
    row = session.get(SiteSetting, SILENT_HOURS) or SiteSetting(key=SILENT_HOURS)
    row.value = str(int(text))
    row.updated_at = utcnow()
    row.updated_by = user.full_name or user.username
    session.add(row)
    session.commit()
    return int(row.value)


def is_silent(site: SiteStatus, hours: int, now: dt.datetime | None = None) -> bool:
    """Whether a site sent nothing for longer than `hours` (or never sent anything)."""
    now = now or utcnow()
    return site.last_event_at is None or now - site.last_event_at > dt.timedelta(hours=hours)
