"""Reports (issue 12) on a synthetic month (`kiosk demo-month`), on both engines: the period
report, the service index and the queue statistics against expectations computed here, in
plain Python from the rows, by the definitions; the API's contract; the dashboard, its CSV and
its drill-down; who may see them."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.demo import synthetic
from kiosk.domain import dossiers
from kiosk.domain.citizen_id import check_number
from kiosk.domain.dossiers import workdays
from kiosk.domain.reports import Period
from kiosk.domain.reports.index import (
    losses,
    overview,
    service_index,
)
from kiosk.domain.reports.period import FIELDS, by_unit, period_report
from kiosk.domain.reports.queue import queue_stats
from kiosk.models import Channel, Dossier, DossierEvent, Payment, Procedure, Rating, Ticket, Upload
from tests.builders import change_password, page_text, sign_in, token_for, valid

SITE = "000.00.01.H29"
NOW = dt.datetime(2026, 11, 20, 3, 0)  # UTC: 10:00 in Gia Lai, the month after
OCTOBER = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
#: Part of October, with a period's end before "now" and a start mid-month.
MID = Period(dt.date(2026, 10, 12), dt.date(2026, 10, 25))


@pytest.fixture
def month(floor: Flask, session: Session) -> synthetic.Month:
    workdays.seed_calendar(session, [2026, 2027])
    return synthetic.generate(session, site_code=SITE, dossiers=500, seed=11,
                              month=dt.date(2026, 10, 1), now=NOW)  # fmt: skip


def local(at: dt.datetime) -> dt.datetime:
    return at + dt.timedelta(hours=7)  # Vietnam: UTC+7, no summer time


def bounds(p: Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(p.start, dt.time()) - dt.timedelta(hours=7)
    return start, start + dt.timedelta(days=(p.end - p.start).days + 1)


def expected_counts(rows: list[Dossier], p: Period) -> dict[str, int]:
    """The period report by its definitions, row by row."""
    start, end = bounds(p)
    at = min(end, NOW)
    out = dict.fromkeys(FIELDS, 0)
    for d in rows:
        if start <= d.received_at < end:
            out["received_online" if d.channel == "online" else "received_direct"] += 1
        elif d.received_at < start and (d.closed_at is None or d.closed_at >= start):
            out["carried_over"] += 1
        if d.resolved_at is not None and start <= d.resolved_at < end:
            if d.due_at is not None and d.resolved_at > d.due_at:
                out["resolved_late"] += 1
            elif d.due_at is None or local(d.resolved_at).date() == local(d.due_at).date():
                out["resolved_on_time"] += 1
            else:
                out["resolved_early"] += 1
        elif d.resolved_at is None and d.closed_at is not None and start <= d.closed_at < end:
            out["closed_other"] += 1
        if d.received_at < at and (d.closed_at is None or d.closed_at >= at):
            if d.due_at is not None and d.due_at < at:
                out["in_progress_overdue"] += 1
            else:
                out["in_progress_on_time"] += 1
    return out


def test_the_months_hand_backs_are_recorded_as_the_rule_records_them(
    month: synthetic.Month, session: Session
) -> None:
    """Each result handed back in the demo month says who received it, the CCCD checked and
    where, as `dossiers.hand_back` records one: the timelines show a complete hand-back."""
    returned = list(session.scalars(select(Dossier).where(Dossier.status == "returned")))
    assert len(returned) > 50
    for d in returned:
        back = d.events[-1]
        assert back.to_status == "returned"
        assert (back.receiver_name, back.receiver_id_kind, back.receiver_id_number, back.place) == (
            d.applicant_name, "cccd", check_number(d.applicant_cccd), "center")  # fmt: skip
        assert (
            back.reason
            == f"Trả cho {d.applicant_name}, đã kiểm tra CCCD số {d.applicant_cccd}, tại trung tâm."
        )
    d = returned[0]
    staff, citizen = dossiers.timeline(d)[-1], dossiers.timeline(d, citizen=True)[-1]
    assert staff.note.startswith(
        f"Người nhận: {d.applicant_name}, đã kiểm tra CCCD số {d.applicant_cccd}"
    )
    assert d.applicant_cccd not in citizen.note and d.applicant_cccd[-2:] in citizen.note
    others = session.scalars(select(DossierEvent).where(DossierEvent.to_status != "returned"))
    assert {(e.receiver_name, e.receiver_id_number, e.place) for e in others} == {("", "", "")}


def test_the_period_report_matches_the_rows_for_the_center_and_every_unit(
    floor: Flask, month: synthetic.Month, session: Session
) -> None:
    rows = list(session.scalars(select(Dossier)))
    assert len(rows) == month.dossiers + month.carried
    for p in (OCTOBER, MID):
        center = period_report(session, p, site_code=SITE, now=NOW)
        assert center.as_dict() == expected_counts(rows, p)
        # The books balance: what came in went out or is still in.
        assert center.handled == center.resolved + center.closed_other + center.in_progress
        units = by_unit(session, p, now=NOW)
        for unit in {d.unit for d in rows}:
            mine = [d for d in rows if d.unit == unit]
            assert units[unit].as_dict() == expected_counts(mine, p), unit
            assert period_report(session, p, unit=unit, site_code=SITE, now=NOW) == units[unit]
    october = period_report(session, OCTOBER, site_code=SITE, now=NOW)
    # The month looks like a center's: new ones mostly online, a carried-over stock, most
    # resolved early, some late, some still open.
    assert october.received == month.dossiers
    assert october.received_online > october.received_direct > 0
    assert october.carried_over > 0.1 * october.received
    assert october.resolved_early > 5 * october.resolved_late > 0
    assert october.in_progress > 0 and october.closed_other > 0


def expected_index(db_session: Session, p: Period, rows: list[Dossier],
                   visits: list[Rating] | None) -> dict[str, float]:  # fmt: skip
    """The index's groups by their formulas, row by row."""
    start, end = bounds(p)
    at = min(end, NOW)
    ids = {d.id for d in rows}
    papers: set[str] = set()
    results: set[str] = set()
    for u in db_session.scalars(select(Upload).where(Upload.dossier_id.is_not(None))):
        if u.dossier_id in ids:
            (results if u.document_name == "ket_qua" else papers).add(u.dossier_id)
    paid: dict[str, set[str]] = defaultdict(set)
    for pay in db_session.scalars(select(Payment).where(Payment.status == "paid")):
        paid[pay.dossier_id].add(pay.method)
    online_codes = {
        proc.code for proc, ch in db_session.execute(
            select(Procedure, Channel).join(Channel, Channel.procedure_id == Procedure.id)
        ) if ch.kind == "truc_tuyen"
    }  # fmt: skip
    handled = [d for d in rows if d.received_at < end and (d.closed_at is None
                                                            or d.closed_at >= start)]  # fmt: skip
    received = [d for d in handled if d.received_at >= start]
    resolved = [d for d in handled if d.resolved_at and start <= d.resolved_at < end]
    late_resolved = [d for d in resolved if d.due_at and d.resolved_at > d.due_at]  # type: ignore[operator]
    open_ = [d for d in handled if d.received_at < at and (d.closed_at is None
                                                           or d.closed_at >= at)]  # fmt: skip
    overdue = [d for d in open_ if d.due_at is not None and d.due_at < at]
    late = {d.id for d in late_resolved} | {d.id for d in overdue}
    silent = [d for d in handled if d.id in late and d.promised_at is None]
    offered = [d for d in received if d.procedure_code in online_codes]
    with_fee = [d for d in received if paid.get(d.id)]
    accepted = [d for d in received if d.status not in ("registered", "refused")]
    ratings = [r for r in db_session.scalars(select(Rating)) if start <= r.at < end
               and r.dossier_id in ids] + (visits or [])  # fmt: skip

    def score(top: int, good: int, total: int, empty: float | None = None) -> float:
        if total == 0:
            return float(top) if empty is None else empty
        return round(top * good / total, 2)

    return {
        "transparency": score(18, len(handled) - len(silent), len(handled)),
        "progress": score(20, len(resolved) + len(open_) - len(late_resolved) - len(overdue),
                          len(resolved) + len(open_)),
        "online_dossiers": score(12, sum(d.channel == "online" for d in offered), len(offered)),
        "online_payment": score(10, sum("transfer" in paid[d.id] for d in with_fee),
                                len(with_fee)),
        "satisfaction": score(18, sum(r.score >= 4 for r in ratings), len(ratings), 0.0),
        "digitization": score(22, sum(d.id in papers for d in accepted)
                              + sum(d.id in results for d in resolved),
                              len(accepted) + len(resolved)),
    }  # fmt: skip


def test_the_service_index_matches_its_formulas_per_unit_and_per_counter(
    floor: Flask, month: synthetic.Month, session: Session
) -> None:
    rows = list(session.scalars(select(Dossier)))
    start, end = bounds(OCTOBER)
    visits = [r for r in session.scalars(select(Rating).where(Rating.ticket_id.is_not(None)))
              if start <= r.at < end]  # fmt: skip
    center = service_index(session, OCTOBER, site_code=SITE, now=NOW)
    want = expected_index(session, OCTOBER, rows, visits)
    assert {k: g.points for k, g in center.groups.items()} == want
    assert center.total == round(sum(want.values()), 2)
    assert 40 < center.total < 100
    assert [g.maximum for g in center.groups.values()] == [18, 20, 12, 10, 18, 22]
    # The dashboard's one pass gives the center, every unit and every counter.
    seen = overview(session, OCTOBER, now=NOW)
    assert seen.index == center
    assert seen.counts == period_report(session, OCTOBER, site_code=SITE, now=NOW)
    assert seen.unit_counts == by_unit(session, OCTOBER, now=NOW)
    per_unit = seen.unit_index
    assert set(per_unit) == {d.unit for d in rows}
    for unit, got in per_unit.items():
        mine = [d for d in rows if d.unit == unit]
        assert {k: g.points for k, g in got.groups.items()} == expected_index(
            session, OCTOBER, mine, None), unit  # fmt: skip
        assert service_index(session, OCTOBER, unit=unit, site_code=SITE, now=NOW) == got
    tickets = {t.id: t for t in session.scalars(select(Ticket))}
    per_counter = seen.counter_index
    assert per_counter
    for counter, got in per_counter.items():
        mine = [d for d in rows if d.ticket_id and tickets[d.ticket_id].counter_id == counter]
        theirs = [r for r in visits if tickets[r.ticket_id].counter_id == counter]  # type: ignore[index]
        assert {k: g.points for k, g in got.groups.items()} == expected_index(
            session, OCTOBER, mine, theirs), counter  # fmt: skip
    # The drill-down lists exactly the dossiers that lost each group its points.
    lost = losses(session, "progress", OCTOBER, site_code=SITE, now=NOW, limit=10_000)
    g = center.groups["progress"]
    assert len(lost) == g.denominator - g.numerator > 0
    silent = losses(session, "transparency", OCTOBER, site_code=SITE, now=NOW, limit=10_000)
    assert all(d.promised_at is None for d in silent)
    assert len(silent) == center.groups["transparency"].denominator - center.groups[
        "transparency"].numerator  # fmt: skip
    direct = losses(session, "online_dossiers", OCTOBER, unit="STP", site_code=SITE,
                    now=NOW, limit=10_000)  # fmt: skip
    assert direct and all(d.channel == "direct" and d.unit == "STP" for d in direct)


def test_queue_statistics_match_the_tickets(floor: Flask, month: synthetic.Month,
                                            session: Session) -> None:  # fmt: skip
    stats = queue_stats(session, OCTOBER)
    tickets = [t for t in session.scalars(select(Ticket))
               if OCTOBER.start <= t.day <= OCTOBER.end]  # fmt: skip
    assert stats.tickets == len(tickets) == month.tickets
    assert stats.no_shows == sum(t.state == "no_show" for t in tickets) > 0
    assert sum(n for _h, n in stats.by_hour) == sum(n for _d, n in stats.by_day) == len(tickets)
    assert dict(stats.by_hour)[9] == sum(local(t.issued_at).hour == 9 for t in tickets)
    for row in stats.by_counter:
        mine = [t for t in tickets if t.counter and str(t.counter.number) == row.key]
        waits = sorted((t.called_at - t.queued_at).total_seconds() / 60
                       for t in mine if t.called_at)  # fmt: skip
        assert row.tickets == len(mine)
        assert row.wait_avg == round(sum(waits) / len(waits), 1)
        assert row.wait_p90 == round(waits[math.ceil(len(waits) * 0.9) - 1], 1)
    errors = [t.estimated_wait_minutes - (t.called_at - t.queued_at).total_seconds() / 60
              for t in tickets if t.called_at]  # fmt: skip
    assert stats.estimate_abs_error == round(sum(abs(e) for e in errors) / len(errors), 1)


def test_the_same_seed_makes_the_same_month(floor: Flask, session: Session,
                                             tmp_path: Any) -> None:  # fmt: skip
    from kiosk.cli import DEMO_CATALOG
    from kiosk.demo.floor import load_demo_floor
    from kiosk.domain.catalog import import_catalog
    from kiosk.storage import make_engine, make_sessionmaker, migrate

    def rows(s: Session) -> list[tuple[Any, ...]]:
        workdays.seed_calendar(s, [2026, 2027])
        synthetic.generate(s, site_code=SITE, dossiers=120, seed=5, month=dt.date(2026, 10, 1),
                           now=NOW)  # fmt: skip
        return sorted(s.execute(select(Dossier.code, Dossier.status, Dossier.received_at,
                                       Dossier.resolved_at, Dossier.due_at)).all())  # fmt: skip

    first = rows(session)
    url = f"sqlite:///{tmp_path / 'again.db'}"
    migrate(url)
    other = make_sessionmaker(make_engine(url))()
    import_catalog(other, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name)
    load_demo_floor(other)
    assert rows(other) == first
    with pytest.raises(synthetic.SyntheticError, match="đã được nạp"):
        synthetic.generate(other, site_code=SITE, dossiers=120, seed=5,
                           month=dt.date(2026, 10, 1), now=NOW)  # fmt: skip
    other.close()


def test_the_reports_api(floor: Flask, month: synthetic.Month, session: Session) -> None:
    client = floor.test_client()
    url = "/api/v1/reports/period?from=2026-10-01&to=2026-10-31"
    assert client.get(url).status_code == 401
    officer = {"Authorization": f"Bearer {token_for(floor, 'canbo')}"}
    assert client.get(url, headers=officer).status_code == 403
    manager = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
    r = client.get(url, headers=manager)
    valid(r.get_json(), "/reports/period", "get", 200)
    body = r.get_json()
    rows = list(session.scalars(select(Dossier)))
    expected = expected_counts(rows, OCTOBER)
    # The API counts "in progress" now; NOW is the month after, the same as the period's end.
    assert {k: body[k] for k in FIELDS} == expected
    assert body["unit"] == SITE and body["from"] == "2026-10-01"
    r = client.get("/api/v1/reports/index?unit=STP&from=2026-10-01&to=2026-10-31", headers=manager)
    valid(r.get_json(), "/reports/index", "get", 200)
    index = r.get_json()
    assert [g["key"] for g in index["groups"]] == ["transparency", "progress", "online_dossiers",
                                                   "online_payment", "satisfaction",
                                                   "digitization"]  # fmt: skip
    assert index["total"] == round(sum(g["points"] for g in index["groups"]), 2)
    refused = (
        ("unit=NOPE", 404),
        ("from=2026-13-01", 400),
        ("from=2026-10-09&to=2026-10-01", 400),
        ("from=2020-01-01&to=2026-10-01", 400),
    )
    for bad, status in refused:
        r = client.get(f"/api/v1/reports/index?{bad}", headers=manager)
        assert r.status_code == status, bad
        valid(r.get_json(), "/reports/index", "get", status)


def test_the_managers_dashboard_csv_and_drill_down(
    floor: Flask, month: synthetic.Month, session: Session
) -> None:
    office = floor.test_client()
    sign_in(office, "canbo", "mat-khau-dai-1")
    assert office.get("/office/reports").status_code == 403
    office = floor.test_client()
    sign_in(office, "quanly", "mat-khau-dai-2")
    q = "from=2026-10-01&to=2026-10-31"
    page = office.get(f"/office/reports?{q}").get_data(as_text=True)
    center = service_index(session, OCTOBER, site_code=SITE)
    assert f'data-testid="index-total">{center.total}<' in page
    assert page.count("<svg") >= 6 and 'hx-trigger="every 60s"' in page
    for unit in ("STP", "21583"):
        assert f'data-unit="{unit}"' in page
    fragment = office.get(f"/office/reports?{q}", headers={"HX-Request": "true",
                                                            "HX-Target": "dashboard"})  # fmt: skip
    assert not fragment.get_data(as_text=True).lstrip().startswith("<!doctype")
    period_csv = office.get(f"/office/reports?{q}&table=period").get_data(as_text=True)
    lines = period_csv.lstrip("\ufeff").splitlines()
    report = period_report(session, OCTOBER, site_code=SITE)
    assert lines[0] == "chi_tieu,so_ho_so" and f"resolved_late,{report.resolved_late}" in lines
    for table in ("index", "units", "counters", "hours", "days", "services", "queue_counters"):
        r = office.get(f"/office/reports?{q}&table={table}")
        assert r.status_code == 200 and r.mimetype == "text/csv" and len(r.data) > 40, table
    assert office.get(f"/office/reports?{q}&table=nothing").status_code == 404
    assert office.get(f"/office/reports?{q}&unit=NOPE").status_code == 404
    bad = office.get("/office/reports?from=2026-02-30").get_data(as_text=True)
    assert "YYYY-MM-DD" in bad
    # The drill-down: the dossiers that lost "progress" points, each linking to its page.
    drill = office.get(f"/office/reports/losses?group=progress&{q}").get_data(as_text=True)
    lost = losses(session, "progress", OCTOBER, site_code=SITE, limit=500)
    assert lost and all(f"/office/dossiers/{d.code}" in drill for d in lost[:20])
    assert office.get(f"/office/reports/losses?group=nothing&{q}").status_code == 404
    # Per counter: the dossiers it received that lost points.
    counter = next(iter(overview(session, OCTOBER).counter_index))
    theirs = losses(session, "digitization", OCTOBER, site_code=SITE, counter=counter,
                    limit=500)  # fmt: skip
    assert theirs and all(d.channel == "direct" for d in theirs)
    page = office.get(f"/office/reports/losses?group=digitization&counter={counter}&{q}")
    assert all(d.code in page.get_data(as_text=True) for d in theirs[:20])
    assert f"counter={counter}" in office.get(f"/office/reports?{q}").get_data(as_text=True)
    for bad in ("999999", "x", "1" * 20):
        r = office.get(f"/office/reports/losses?group=progress&counter={bad}&{q}")
        assert r.status_code == 404, bad
    drill_csv = office.get(f"/office/reports/losses?group=progress&format=csv&{q}")
    assert len(drill_csv.get_data(as_text=True).splitlines()) == len(lost) + 1
    printed = office.get(f"/office/reports/print?{q}").get_data(as_text=True)
    assert "BÁO CÁO TÌNH HÌNH GIẢI QUYẾT HỒ SƠ" in printed and str(report.handled) in printed


def test_demo_month_by_command(floor: Flask) -> None:
    runner = floor.test_cli_runner()
    s = floor.extensions["kiosk.sessionmaker"]()
    workdays.seed_calendar(s, [2026, 2027])
    s.close()
    bad = runner.invoke(args=["demo-month", "--month", "2026-13"])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output
    r = runner.invoke(args=["demo-month", "--dossiers", "60", "--seed", "3", "--month", "2026-09"])
    assert r.exit_code == 0, r.output
    assert "60 hồ sơ mới" in r.output
    again = runner.invoke(args=["demo-month", "--dossiers", "60", "--seed", "3",
                                "--month", "2026-09"])  # fmt: skip
    assert again.exit_code != 0 and "đã được nạp" in again.output
    quiet = runner.invoke(args=["demo-month", "--dossiers", "60", "--seed", "3",
                                "--month", "2026-09", "--if-missing"])  # fmt: skip
    assert quiet.exit_code == 0 and "đã được nạp" in quiet.output
    # Its papers point at one real PDF in the upload folder, which opens.
    from kiosk.view_helpers import upload_folder_for

    s = floor.extensions["kiosk.sessionmaker"]()
    up = s.scalar(select(Upload).where(Upload.owner == "synthetic"))
    s.close()
    assert up is not None
    stored = upload_folder_for(floor.config, floor.instance_path) / up.stored_name
    assert stored.read_bytes().startswith(b"%PDF")


def test_every_synthetic_unit_has_a_name(month: synthetic.Month) -> None:
    from kiosk.domain import places

    for code in synthetic.COMMUNES:
        assert places.get_commune(code) is not None, code
    assert all(name and name != code for code, name in month.units.items())


def test_a_manager_of_a_unit_reads_that_units_reports_only(
    floor: Flask, month: synthetic.Month, session: Session
) -> None:
    """A department's manager (`kiosk users create NAME --role manager --unit STP`) reads their
    own unit's reports: another unit, the center and the counters answer 404, exactly as a
    unit that does not exist, on the dashboard, its CSV, the drill-down, the print and the API."""
    from kiosk.domain.accounts import IdentityError, create_user

    runner = floor.test_cli_runner()
    made = runner.invoke(args=["users", "create", "stp", "--role", "manager", "--unit", "STP"],
                         input="mat-khau-dai-9\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    nope = runner.invoke(args=["users", "create", "x1", "--role", "manager", "--unit", "NOPE"],
                         input="mat-khau-dai-9\n")  # fmt: skip
    assert nope.exit_code != 0 and "Không có đơn vị NOPE" in nope.output
    with pytest.raises(IdentityError, match="Chỉ tài khoản quản lý"):
        create_user(session, "x2", "mat-khau-dai-9", "officer", unit_code="STP")
    office = floor.test_client()
    landed = sign_in(office, "stp", "mat-khau-dai-9")
    # The command chose the password: the manager chooses their own before anything else.
    assert office.get("/office/reports").headers["Location"].startswith("/office/password")
    assert change_password(office, "mat-khau-dai-9", "cua-rieng-stp-2026").status_code == 303
    # Signed in, they land on their reports; nothing else of the center is theirs.
    assert office.get(landed.headers["Location"]).headers["Location"].endswith("/office/reports")
    some = session.scalars(select(Dossier).where(Dossier.unit == "STP")).first()
    assert some is not None
    for url in ("/office/dossiers", f"/office/dossiers/{some.code}", "/office/payments",
                "/office/accounts", "/office/setup/counters", "/office/printers",
                "/office/calendar"):  # fmt: skip
        assert office.get(url).status_code == 403, url
    q = "from=2026-10-01&to=2026-10-31"
    page = office.get(f"/office/reports?{q}").get_data(as_text=True)
    theirs = service_index(session, OCTOBER, unit="STP", site_code=SITE)
    assert f'data-testid="index-total">{theirs.total}<' in page
    assert 'data-unit="STP"' in page and 'data-unit="21583"' not in page
    assert 'data-testid="counters"' not in page and 'data-testid="unit-only"' in page
    assert f'<option value="{SITE}"' not in page
    missing = office.get(f"/office/reports?{q}&unit=NOPE")
    for other in ("21583", SITE, "CA"):
        r = office.get(f"/office/reports?{q}&unit={other}")
        # The page links back to the address asked for (its language switch): same otherwise.
        body = page_text(r).replace(f"unit%3D{other}", "unit%3DNOPE")
        assert (r.status_code, body) == (404, page_text(missing)), other
        assert office.get(f"/office/reports/print?{q}&unit={other}").status_code == 404
        assert office.get(f"/office/reports/losses?group=progress&unit={other}&{q}"
                          ).status_code == 404  # fmt: skip
    for table in ("counters", "hours", "days", "services", "queue_counters"):
        assert office.get(f"/office/reports?{q}&table={table}").status_code == 404, table
    units_csv = office.get(f"/office/reports?{q}&table=units").get_data(as_text=True)
    assert [line.split(",")[0] for line in units_csv.lstrip("\ufeff").splitlines()[1:]] == ["STP"]
    counter = next(iter(overview(session, OCTOBER).counter_index))
    r = office.get(f"/office/reports/losses?group=digitization&counter={counter}&{q}")
    assert r.status_code == 404
    # Their drill-down lists their own unit's dossiers.
    group = next(g.key for g in theirs.groups.values() if g.lost > 0)
    lost = losses(session, group, OCTOBER, unit="STP", site_code=SITE, limit=500)
    drill = office.get(f"/office/reports/losses?group={group}&{q}").get_data(as_text=True)
    assert lost and all(d.unit == "STP" and d.code in drill for d in lost[:20])
    assert "/office/dossiers/" not in drill  # the codes, not links they could not open
    printed = office.get(f"/office/reports/print?{q}").get_data(as_text=True)
    report = period_report(session, OCTOBER, unit="STP", site_code=SITE)
    assert "Sở Tư pháp" in printed and str(report.handled) in printed
    # Through the API, with their token: their unit by default, any other one not found.
    token = {"Authorization": f"Bearer {token_for(floor, 'stp')}"}
    # A dossier through the API: for them, as for anyone without staff rights, only with the
    # citizen's fact.
    anyone = floor.test_client().get(f"/api/v1/dossiers/{some.code}")
    theirs_ = office.get(f"/api/v1/dossiers/{some.code}", headers=token)
    assert (theirs_.status_code, theirs_.get_json()) == (anyone.status_code, anyone.get_json())
    assert office.get("/api/v1/dossiers", headers=token).status_code == 401
    body = office.get(f"/api/v1/reports/period?{q}", headers=token).get_json()
    assert body["unit"] == "STP" and {k: body[k] for k in FIELDS} == {
        k: v for k, v in report.as_dict().items() if k in FIELDS
    }
    unknown = office.get(f"/api/v1/reports/index?{q}&unit=NOPE", headers=token)
    for other in ("21583", SITE):
        r = office.get(f"/api/v1/reports/index?{q}&unit={other}", headers=token)
        assert (r.status_code, r.get_json()) == (404, unknown.get_json()), other
    # The center's manager still sees every unit and the counters.
    center = floor.test_client()
    sign_in(center, "quanly", "mat-khau-dai-2")
    whole = center.get(f"/office/reports?{q}").get_data(as_text=True)
    assert 'data-unit="21583"' in whole and 'data-testid="counters"' in whole


def test_the_worklist_is_ranked_and_paged_by_the_database_as_officers_read_it(
    floor: Flask, month: synthetic.Month, session: Session
) -> None:
    """The office worklist on a month's stock: the database's order and filters are the ones
    the officers' page shows (overdue first, due soon next, ..., resolved last), computed here
    row by row."""
    from kiosk.domain import dossiers
    from kiosk.domain.dossiers import OPEN, PAUSED
    from kiosk.domain.dossiers import DossierState as S

    soon = dt.timedelta(days=2)
    listed = [*OPEN, S.REGISTERED, S.RESOLVED]
    rows = session.scalars(select(Dossier).where(Dossier.status.in_(listed))).all()

    def told(d: Dossier) -> dt.datetime:
        return d.promised_at or d.due_at or d.received_at

    def rank(d: Dossier) -> int:
        if d.status == S.RESOLVED:
            return 4
        if d.status in PAUSED:
            return 3
        return 0 if told(d) < NOW else 1 if told(d) < NOW + soon else 2

    expected = sorted(rows, key=lambda d: (rank(d), told(d), d.code))
    assert {rank(d) for d in expected} >= {0, 2, 4}  # the month has each kind
    got = dossiers.worklist(session, NOW, soon)
    assert [d.code for d in got] == [d.code for d in expected]
    assert dossiers.worklist_size(session, NOW, soon) == len(expected)
    assert [d.code for d in dossiers.worklist(session, NOW, soon, limit=7)] == [
        d.code for d in expected[:7]
    ]
    for show in ("overdue", "soon"):

        def shown(d: Dossier, show: str = show) -> bool:
            state = dossiers.progress(d, NOW)
            if show == "overdue":
                return state == "overdue"
            return state == "within" and told(d) < NOW + soon

        want = [d.code for d in expected if shown(d)]
        assert [d.code for d in dossiers.worklist(session, NOW, soon, show=show)] == want
        assert dossiers.worklist_size(session, NOW, soon, show=show) == len(want)
