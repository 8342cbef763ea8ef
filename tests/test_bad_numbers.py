"""Numbers no row can have answer a 404 or a 400 with a message, never a 500: an id beyond the
32-bit columns in any route of the URL map (found by walking it, so the next route is covered
too), and integer query parameters out of range (`web.int_arg`, the one parser)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing.converters import NumberConverter

from kiosk.domain import queue
from kiosk.domain.accounts import create_user
from kiosk.web import IdConverter

from .conftest import csrf, sign_in, token_for
from .test_agent_branch import with_second_factor

#: Beyond a 32-bit INTEGER (PostgreSQL fails on it), and beyond a 64-bit one (SQLite does).
HUGE = ("3000000000", "40017711154761245392896")
#: What the other arguments of a rule are given: real names, so the view gets to the id.
OTHER = {"action": tuple(queue.ACTIONS), "code": ("1.004222",)}


def _urls(rule: Any, number: str) -> list[str]:
    numbers = [a for a, c in rule._converters.items() if isinstance(c, NumberConverter)]
    others = [a for a in rule._converters if a not in numbers]
    urls = []
    for values in itertools.product(*(OTHER.get(a, ("x",)) for a in others)):
        url = str(rule.rule)
        for arg, value in [*((a, number) for a in numbers), *zip(others, values, strict=True)]:
            url = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{arg}>", value, url)
        urls.append(url)
    return urls


def _message(r: Any) -> str:
    if r.is_json:
        return str(r.get_json()["error"]["message"])
    return re.sub(r"<[^>]+>", " ", r.get_data(as_text=True))


@pytest.fixture
def callers(floor: Flask, db_session: Session) -> dict[str, tuple[FlaskClient, dict[str, str]]]:
    """Anonymous, a manager (cookie, and a bearer token), an admin and a branch's supervisor,
    each with a CSRF token of their session."""
    create_user(db_session, "quantri", "mat-khau-dai-9", "admin", "Quản trị")
    create_user(db_session, "ks-bidv", "mat-khau-dai-9", "supervisor", "Kiểm soát viên",
                branch_code="BIDV-GL")  # fmt: skip
    manager = floor.test_client()
    sign_in(manager, "quanly", "mat-khau-dai-2")
    out: dict[str, tuple[FlaskClient, dict[str, str]]] = {
        "anonymous": (floor.test_client(), {}),
        "manager": (manager, {}),
        "manager's token": (floor.test_client(),
                            {"Authorization": "Bearer " + token_for(floor, "quanly")}),
        "admin": (with_second_factor(floor, "quantri"), {}),
        "supervisor": (with_second_factor(floor, "ks-bidv"), {}),
    }  # fmt: skip
    for name, (client, headers) in out.items():
        out[name] = (client, {**headers, "X-CSRFToken": csrf(client, "/office/login")})
    return out


def test_every_route_with_an_id_answers_a_huge_one_without_a_5xx(
    floor: Flask, callers: dict[str, tuple[FlaskClient, dict[str, str]]]
) -> None:
    tried = 0
    rules = [r for r in floor.url_map.iter_rules()
             if any(isinstance(c, NumberConverter) for c in r._converters.values())]  # fmt: skip
    assert len(rules) >= 9  # the counters' screens and actions, the portal's team, the API
    for rule, number, (who, (client, headers)) in itertools.product(rules, HUGE, callers.items()):
        for url in _urls(rule, number):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": headers["X-CSRFToken"], "number": "A001"}
                r = client.open(url, method=method, headers=headers, data=data)
                tried += 1
                assert r.status_code < 500, f"{who}: {method} {url} answered {r.status_code}"
                assert r.status_code in (400, 404, 405), f"{who}: {method} {url}: {r.status_code}"
                assert _message(r).strip(), f"{who}: {method} {url}: no message"
    assert tried > 100


def test_a_huge_counter_in_a_json_body_is_an_unknown_counter(
    floor: Flask, callers: dict[str, tuple[FlaskClient, dict[str, str]]], db_session: Session
) -> None:
    from kiosk.models import Counter

    client, headers = callers["manager's token"]
    first = db_session.scalar(select(Counter.id).where(Counter.number == 1))
    client.post(f"/api/v1/counters/{first}/sign-in", headers=headers)
    client.post("/api/v1/tickets", json={"service": "HOTICH"})
    called = client.post(f"/api/v1/counters/{first}/call-next", headers=headers)
    assert called.status_code == 200, called.get_json()
    for number in HUGE:
        r = client.post(f"/api/v1/counters/{first}/transfer", headers=headers,
                        json={"counter": int(number)})  # fmt: skip
        assert r.status_code == 404, (number, r.status_code)
        assert r.get_json()["error"]["message"] == f"Không có quầy số hiệu {number}."


def test_every_numeric_route_argument_is_a_bounded_id(floor: Flask) -> None:
    """Werkzeug's `<int:...>` takes any number: a route must name `<id:...>` instead."""
    for rule in floor.url_map.iter_rules():
        for arg, converter in rule._converters.items():
            if isinstance(converter, NumberConverter):
                assert isinstance(converter, IdConverter), f"{rule.rule}: {arg} is unbounded"


#: Integer parameters out of range, and what each answers.
PARAMETERS = [
    ("/api/v1/procedures?offset=40017711154761245392896", 400),
    ("/api/v1/procedures?offset=3000000000", 400),
    ("/api/v1/procedures?offset=-1", 400),
    ("/api/v1/procedures?limit=0", 400),
    ("/api/v1/procedures?limit=101", 400),
    ("/api/v1/procedures?limit=%D9%A3", 400),  # an Arabic-Indic 3
    ("/api/v1/procedures?offset=2147483647", 200),
    ("/api/v1/places?limit=40017711154761245392896", 400),
    ("/api/v1/dossiers?limit=40017711154761245392896", 400),
    ("/api/v1/queue/events?after=40017711154761245392896&counters=3000000000", 200),
    ("/office/services?edit=3000000000", 400),
    ("/office/setup/counters?edit=40017711154761245392896", 400),
    ("/office/audit?before=40017711154761245392896", 400),
    ("/office/display/call.wav?number=A001&counter=40017711154761245392896", 404),
    ("/office/calendar?year=40017711154761245392896", 200),
]


def test_integer_parameters_out_of_range_answer_400_with_a_message(
    floor: Flask, callers: dict[str, tuple[FlaskClient, dict[str, str]]]
) -> None:
    for url, status in PARAMETERS:
        for who in ("admin", "manager's token", "manager"):
            client, headers = callers[who]
            stream = url.startswith("/api/v1/queue/events")
            r = client.get(url, headers=headers, buffered=not stream)
            if r.status_code in (302, 401, 403):
                continue  # not this caller's page
            assert r.status_code == status, (who, url, r.status_code)
            if status == 400:
                assert "phải là số nguyên" in _message(r), (who, url)
            r.close()
            break
        else:
            pytest.fail(f"no caller may open {url}")
