"""The outbox's papers and queue figures on both engines (the site's database; the hub's is
SQLite): each paper's metadata is told after its dossier, in the change's transaction, and the
hub keeps it without the file; a day's queue figures are told at every ticket change, one
unsent event per day however many changes (its figures counted when it is sent), a new one
once the last is sent, and at the hub the latest in the site's outbox stands whatever order
they arrive in, each stored once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.demo.floor import load_demo_floor
from kiosk.domain import dossiers, outbox, province, queue
from kiosk.domain.dossiers import DossierState, uploads
from kiosk.models import Counter, Dossier, OutboxEvent, ProvinceEvent, QueueDayFigures, Upload, User
from kiosk.storage import make_engine, make_sessionmaker, migrate
from tests.builders import MONDAY_9, deliver, receive, sample_pdf, store_upload

SITE = "000-00-41-H29"
# Monday 23/11/2026, 10:00 in Vietnam: the demo services are open.
MORNING = dt.datetime(2026, 11, 23, 3, 0)


def kinds(session: Session) -> list[str]:
    return list(session.scalars(select(OutboxEvent.kind).order_by(OutboxEvent.seq)))


def hub_db(tmp_path: Path) -> Session:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    return make_sessionmaker(make_engine(url))()


def test_papers_are_told_after_their_dossier_and_the_hub_keeps_them_without_the_file(
    session: Session, staff: dict[str, User], tmp_path: Path
) -> None:
    up = store_upload(session, tmp_path, sample_pdf(), name="giay-cua-chi-nhung.pdf")
    papers = dossiers.Papers(
        files=(uploads.Wanted("Đề nghị khai báo tạm vắng", up.id),), owner="kiosk:test"
    )
    d = receive(session, staff, channel="online", actor=None, code="1.003677",
                papers=papers).dossier  # fmt: skip
    assert kinds(session) == ["dossier.received", "paper.stored"]
    body = json.loads(
        session.scalars(select(OutboxEvent.payload).order_by(OutboxEvent.seq)).all()[1]
    )
    paper = body["paper"]
    assert body["dossier_id"] == d.id and paper["id"] == up.id
    assert paper["document_name"] == "Đề nghị khai báo tạm vắng"
    assert paper["sha256"] == up.sha256 and paper["size"] == up.size
    assert (
        paper["media_type"] == "application/pdf"
        and paper["created_at"] == up.created_at.isoformat()
    )
    # The file, where it lies and the citizen's own file name stay at the site.
    assert not {"stored_name", "owner", "original_name"} & set(paper)

    dossiers.move(session, d, DossierState.ACCEPTED, staff["processor"], now=MONDAY_9)
    result = store_upload(session, tmp_path, sample_pdf(), owner="user:1")
    dossiers.move(session, d, DossierState.RESOLVED, staff["processor"],
                  now=MONDAY_9 + dt.timedelta(days=1), result=result)  # fmt: skip
    assert kinds(session)[-2:] == ["dossier.moved", "paper.stored"]

    hub = hub_db(tmp_path)
    # Everything about the dossier before the dossier itself (a redelivered batch): its papers
    # wait in province_event and are kept once the dossier arrives.
    n = len(kinds(session))
    deliver(hub, session, SITE, order=[*range(1, n), 0])
    kept = {u.id: u for u in hub.scalars(select(Upload).where(Upload.dossier_id == d.id))}
    assert set(kept) == {up.id, result.id}
    assert kept[up.id].sha256 == up.sha256 and kept[up.id].stored_name == ""
    assert kept[result.id].document_name == uploads.RESULT
    assert deliver(hub, session, SITE) == 0  # all of it again: nothing twice
    assert hub.scalar(select(func.count()).select_from(Upload)) == 2


def test_a_batch_after_an_outage_moves_the_dossier_though_papers_came_after_its_moves(
    session: Session, staff: dict[str, User], tmp_path: Path
) -> None:
    """A day's events taken as one batch (the link back after an outage): the result's paper
    is told after the move to resolved, and the move still stands at the hub (a later event of
    another kind about the dossier is not a later state of it)."""
    up = store_upload(session, tmp_path, sample_pdf())
    papers = dossiers.Papers(
        files=(uploads.Wanted("Đề nghị khai báo tạm vắng", up.id),), owner="kiosk:test"
    )
    d = receive(session, staff, channel="online", actor=None, code="1.003677",
                papers=papers).dossier  # fmt: skip
    dossiers.move(session, d, DossierState.ACCEPTED, staff["processor"], now=MONDAY_9)
    result = store_upload(session, tmp_path, sample_pdf(), owner="user:1")
    dossiers.move(session, d, DossierState.RESOLVED, staff["processor"],
                  now=MONDAY_9 + dt.timedelta(days=1), result=result)  # fmt: skip
    session.commit()
    assert kinds(session)[-2:] == ["dossier.moved", "paper.stored"]

    hub = hub_db(tmp_path)
    assert deliver(hub, session, SITE, batch=True) == len(kinds(session))
    at_hub = hub.get(Dossier, d.id)
    assert at_hub is not None and at_hub.status == DossierState.RESOLVED
    assert at_hub.result_digitized


def test_a_days_figures_told_again_take_a_later_place_than_the_ones_they_replace(
    session: Session,
) -> None:
    """The day's unsent figures, the last event of the outbox, replaced: the new event's place
    is after the old one's (SQLite gave it the deleted one's number, and the hub, keeping the
    later place's figures, kept a relay's copy of the old ones: one ticket short)."""
    first = outbox.queue_day(session, MORNING.date())
    session.commit()
    was = first.seq
    again = outbox.queue_day(session, MORNING.date())
    session.commit()
    assert again.seq > was
    assert session.scalars(select(OutboxEvent.seq)).all() == [again.seq]


def test_a_refused_filing_tells_no_paper(session: Session, staff: dict[str, User],
                                         tmp_path: Path) -> None:  # fmt: skip
    up = store_upload(session, tmp_path, sample_pdf())
    papers = dossiers.Papers(files=(uploads.Wanted("Đề nghị khai báo tạm vắng", up.id),),
                             owner="kiosk:test")  # fmt: skip
    bad = dossiers.Applicant("", "12", None, "", "", {})
    with pytest.raises(dossiers.DossierError):
        receive(session, staff, channel="online", actor=None, code="1.003677", papers=papers,
                applicant=bad)  # fmt: skip
    assert kinds(session) == []


def _serve_a_day(session: Session, officer: User) -> None:
    """Three tickets: one served, one a no-show, one still waiting."""
    c1 = session.scalar(select(Counter).where(Counter.number == 1))
    assert c1 is not None
    for i in range(3):
        queue.issue_ticket(session, "HOTICH", now=MORNING + dt.timedelta(minutes=i))
    queue.sign_in_counter(session, c1.id, officer)
    queue.call_next(session, c1.id, officer, now=MORNING + dt.timedelta(minutes=10))
    queue.start(session, c1.id, officer, now=MORNING + dt.timedelta(minutes=11))
    queue.finish(session, c1.id, officer, now=MORNING + dt.timedelta(minutes=19))
    queue.call_next(session, c1.id, officer, now=MORNING + dt.timedelta(minutes=20))
    queue.no_show(session, c1.id, officer, now=MORNING + dt.timedelta(minutes=25))


def _figures(session: Session) -> list[dict]:  # type: ignore[type-arg]
    """The figures each `queue.day` event would carry if sent now."""
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.kind == "queue.day").order_by(OutboxEvent.seq)
    )
    return [json.loads(outbox.payload_of(session, e))["figures"] for e in rows]


def test_a_days_queue_figures_wait_as_one_event_and_the_latest_stands_at_the_hub(
    session: Session, staff: dict[str, User], tmp_path: Path
) -> None:
    load_demo_floor(session)
    _serve_a_day(session, staff["officer"])
    (day,) = _figures(session)  # many changes, nothing sent: one event for the day
    assert day["day"] == "2026-11-23" and day["tickets"] == 3
    assert day["served"] == 1 and day["no_shows"] == 1
    (hotich,) = day["services"]
    assert hotich["key"] == "HOTICH" and hotich["tickets"] == 3
    # Waits: A001 10 min (3:00 to 3:10), A002 19 min; served 8 minutes.
    assert hotich["wait_n"] == 2 and abs(hotich["wait_sum"] - 29) < 0.01
    assert hotich["wait_hist"] == {"10": 1, "19": 1} and hotich["service_hist"] == {"8": 1}
    assert [c["key"] for c in day["counters"]] == ["1"] and day["by_hour"] == {"10": 3}
    assert day["estimate"]["n"] == 2

    # The relay sends it (as it stands), the server acks; later changes make a new event.
    first = session.scalar(select(OutboxEvent).where(OutboxEvent.kind == "queue.day"))
    assert first is not None
    sent = (first.id, first.seq, outbox.payload_of(session, first), first.created_at)
    outbox.mark_sent(session, [first.id])
    session.commit()
    c1 = session.scalar(select(Counter).where(Counter.number == 1))
    assert c1 is not None
    queue.call_next(session, c1.id, staff["officer"], now=MORNING + dt.timedelta(minutes=30))
    queue.start(session, c1.id, staff["officer"], now=MORNING + dt.timedelta(minutes=31))
    queue.finish(session, c1.id, staff["officer"], now=MORNING + dt.timedelta(minutes=35))
    rows = list(session.scalars(
        select(OutboxEvent).where(OutboxEvent.kind == "queue.day").order_by(OutboxEvent.seq)
    ))  # fmt: skip
    assert [r.id for r in rows][0] == first.id and len(rows) == 2  # the changes since: one
    later = json.loads(outbox.payload_of(session, rows[1]))["figures"]
    assert later["served"] == 2 and json.loads(sent[2])["figures"] == day

    hub = hub_db(tmp_path)

    def arrive(event_id: str, seq: int, payload: str, at: dt.datetime) -> bool:
        got = province.receive(hub, event_id=event_id, site=SITE, kind="queue.day",
                               payload=payload, occurred_at=at, site_seq=seq)  # fmt: skip
        hub.commit()
        return got

    newer = (rows[1].id, rows[1].seq, outbox.payload_of(session, rows[1]), rows[1].created_at)
    assert arrive(*newer) and arrive(*sent)  # the older figures arrive last
    kept = hub.get(QueueDayFigures, (SITE, dt.date(2026, 11, 23)))
    assert kept is not None and json.loads(kept.figures) == later
    assert not arrive(*sent) and not arrive(*newer)  # again: nothing twice, nothing undone
    assert hub.scalar(select(func.count()).select_from(ProvinceEvent)) == 2
    hub.expire_all()
    assert json.loads(hub.get(QueueDayFigures, (SITE, dt.date(2026, 11, 23))).figures) == later  # type: ignore[union-attr]
