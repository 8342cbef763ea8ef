"""The province's reports at the hub, on both engines (the hub's database; each site's own is
SQLite): two sites' events ingested, `unit=<a site's code>` answers that site's report and
index exactly as the site computes them, no unit the whole province, which is their sum; the
dashboard's province view lines the sites up with the province's total, queue figures
included; at a site by itself, its own code still means every dossier."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kiosk.demo.floor import load_demo_floor
from kiosk.domain import dossiers, queue
from kiosk.domain.dossiers import DossierState
from kiosk.domain.reports import Period
from kiosk.domain.reports.index import service_index
from kiosk.domain.reports.period import FIELDS, Counts, period_report
from kiosk.domain.reports.queue import merge
from kiosk.models import Counter, User
from tests.builders import MONDAY_9, deliver, receive, sign_in, site_db, token_for, valid

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
Q = "from=2026-11-01&to=2026-11-30"
A, B = "000.00.41.H29", "000.00.42.H29"
MORNING = dt.datetime(2026, 11, 23, 3, 0)


def _site(path: Path, template: Path, code: str, n: int, tickets: int) -> Session:
    """A site with `n` dossiers (the first resolved the next day, the second withdrawn) and
    `tickets` tickets of which the first is served."""
    s = site_db(template, path)
    staff = {u.username: u for u in s.query(User)}
    staff = {"officer": staff["canbo"], "processor": staff["xuly"]}
    made = [receive(s, staff, site_code=code, now=MONDAY_9 + dt.timedelta(hours=i)).dossier
            for i in range(n)]  # fmt: skip
    dossiers.move(s, made[0], DossierState.RESOLVED, staff["processor"],
                  now=MONDAY_9 + dt.timedelta(days=1))  # fmt: skip
    if n > 1:
        dossiers.move(s, made[1], DossierState.WITHDRAWN, staff["processor"], "Công dân rút",
                      now=MONDAY_9 + dt.timedelta(days=2))  # fmt: skip
    load_demo_floor(s)
    for i in range(tickets):
        queue.issue_ticket(s, "HOTICH", now=MORNING + dt.timedelta(minutes=i))
    c1 = s.query(Counter).filter_by(number=1).one()
    queue.sign_in_counter(s, c1.id, staff["officer"])
    queue.call_next(s, c1.id, staff["officer"], now=MORNING + dt.timedelta(minutes=12))
    queue.start(s, c1.id, staff["officer"], now=MORNING + dt.timedelta(minutes=12))
    queue.finish(s, c1.id, staff["officer"], now=MORNING + dt.timedelta(minutes=20))
    return s


@pytest.fixture
def sites(floor: Flask, session: Session, sqlite_demo: Path,
          tmp_path: Path) -> dict[str, Session]:  # fmt: skip
    made = {A: _site(tmp_path / "a.db", sqlite_demo, A, 3, 4),
            B: _site(tmp_path / "b.db", sqlite_demo, B, 2, 2)}  # fmt: skip
    for code, s in made.items():
        deliver(session, s, code.replace(".", "-"))
    yield made  # type: ignore[misc]
    for s in made.values():
        s.get_bind().dispose()  # type: ignore[union-attr]
        s.close()


def _sum(*counts: Counts) -> dict[str, int]:
    return {k: sum(getattr(c, k) for c in counts) for k in FIELDS}


def test_a_sites_report_and_the_provinces_through_the_api(
    floor: Flask, client: FlaskClient, sites: dict[str, Session]
) -> None:
    manager = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
    own = {code: period_report(s, NOVEMBER, site_code=code) for code, s in sites.items()}
    assert own[A].received_direct == 3 and own[B].received_direct == 2  # something to add up
    for code in (A, B):
        r = client.get(f"/api/v1/reports/period?unit={code}&{Q}", headers=manager)
        assert r.status_code == 200
        valid(r.json, "/reports/period", "get", 200)
        assert r.json["unit"] == code  # type: ignore[index]
        assert {k: r.json[k] for k in FIELDS} == own[code].as_dict()  # type: ignore[index]
    whole = client.get(f"/api/v1/reports/period?{Q}", headers=manager).json
    assert whole["unit"] == "" and whole["unit_name"] == "Toàn tỉnh"  # type: ignore[index]
    assert {k: whole[k] for k in FIELDS} == _sum(*own.values())  # type: ignore[index]

    # The index: a site's equals its own; the province's every numerator and denominator is
    # the sum of the sites'.
    mine = {code: service_index(s, NOVEMBER, site_code=code) for code, s in sites.items()}
    for code in (A, B):
        r = client.get(f"/api/v1/reports/index?unit={code}&{Q}", headers=manager)
        valid(r.json, "/reports/index", "get", 200)
        assert r.json["groups"] == mine[code].as_dict()["groups"]  # type: ignore[index]
    groups = client.get(f"/api/v1/reports/index?{Q}", headers=manager).json["groups"]  # type: ignore[index]
    for g in groups:
        parts = [m.groups[g["key"]] for m in mine.values()]
        assert g["numerator"] == sum(p.numerator for p in parts), g["key"]
        assert g["denominator"] == sum(p.denominator for p in parts), g["key"]
    # A department's code still means that department, of every site.
    r = client.get(f"/api/v1/reports/period?unit=NOPE&{Q}", headers=manager)
    assert r.status_code == 404


def test_the_dashboards_province_view(
    floor: Flask, client: FlaskClient, session: Session, sites: dict[str, Session]
) -> None:
    sign_in(client, "quanly", "mat-khau-dai-2")
    page = client.get(f"/office/reports?{Q}").get_data(as_text=True)
    assert 'data-testid="sites"' in page and "Toàn tỉnh theo đơn vị" in page

    def line(key: str) -> dict[str, str]:
        row = re.search(rf'<tr data-site="{re.escape(key)}".*?</tr>', page, re.S)
        assert row is not None, key
        return dict(re.findall(r'data-field="(\w+)">([^<]*)<', row.group(0)))

    a, b, total = line(A), line(B), line("province")
    assert (a["received"], b["received"], total["received"]) == ("3", "2", "5")
    assert (a["tickets"], b["tickets"], total["tickets"]) == ("4", "2", "6")
    for field in ("resolved", "in_progress", "overdue", "no_shows"):
        assert int(total[field]) == int(a[field]) + int(b[field]), field
    # The province's queue: every site's figures added up, the waits from their sums.
    assert "Hàng chờ của toàn tỉnh" in page
    figures = merge(
        [f for s in sites.values() for f in _own_figures(s)], NOVEMBER
    )  # what the sites themselves count
    assert figures.tickets == 6 and figures.by_service[0].tickets == 6
    # A site's own dashboard, by its code, shows its queue.
    one = client.get(f"/office/reports?unit={A}&{Q}").get_data(as_text=True)
    assert f"Hàng chờ của {A}" in one and 'data-testid="sites"' not in one
    csv = client.get(f"/office/reports?table=sites&{Q}").get_data(as_text=True)
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == ["000.00.01.H29", A, B, ""]


def _own_figures(s: Session) -> list[dict]:  # type: ignore[type-arg]
    from kiosk.domain.reports.queue import own_figures

    return own_figures(s, NOVEMBER)


def test_at_a_site_by_itself_its_own_code_is_every_dossier(
    floor: Flask, client: FlaskClient, session: Session
) -> None:
    staff = {u.username: u for u in session.query(User)}
    receive(session, {"officer": staff["canbo"]})
    manager = {"Authorization": f"Bearer {token_for(floor, 'quanly')}"}
    mine = client.get(f"/api/v1/reports/period?unit=000.00.01.H29&{Q}", headers=manager).json
    whole = client.get(f"/api/v1/reports/period?{Q}", headers=manager).json
    assert whole["unit"] == "000.00.01.H29"  # type: ignore[index]
    assert {k: mine[k] for k in FIELDS} == {k: whole[k] for k in FIELDS}  # type: ignore[index]
    assert mine["received_direct"] == 1  # type: ignore[index]
