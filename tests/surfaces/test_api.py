"""The JSON API, checked against its own OpenAPI document with real responses."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_spec

from tests.builders import SPEC, valid


def check(client: FlaskClient, url: str, template: str, status: int) -> Any:
    """GET `url`, expect `status`, and validate the body against the document's schema."""
    r = client.get(url)
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    body = r.get_json()
    valid(body, template, "get", status)
    return body


def test_the_document_is_valid_openapi() -> None:
    validate_spec(SPEC)


def test_served_document_matches_the_file(client: FlaskClient) -> None:
    served = client.get("/api/v1/openapi.json").get_json()
    assert served["paths"] == SPEC["paths"]
    assert served["servers"][0]["url"].endswith("/api/v1")


def test_search_contract(client: FlaskClient) -> None:
    body = check(client, "/api/v1/procedures?q=doi+giay+phep+lai+xe", "/procedures", 200)
    assert body["items"][0]["name"].startswith("Đổi giấy phép lái xe")
    body = check(client, "/api/v1/procedures?q=khai+sinh&level=xa", "/procedures", 200)
    assert body["items"][0]["code"] == "1.001193"
    body = check(
        client, "/api/v1/procedures?field=H%E1%BB%99+t%E1%BB%8Bch&limit=3", "/procedures", 200
    )
    assert len(body["items"]) == 3 and body["total"] >= 6


def test_detail_contract(client: FlaskClient) -> None:
    body = check(client, "/api/v1/procedures/1.004222", "/procedures/{code}", 200)
    online = next(c for c in body["channels"] if c["kind"] == "truc_tuyen")
    assert online["current_fee_vnd"] == 10000 and online["online_saving_vnd"] == 10000
    assert isinstance(online["fees"][0]["amount_vnd"], int)
    assert body["documents"][0]["form"] == "CT01"


@pytest.mark.parametrize(
    ("url", "template", "status"),
    [
        ("/api/v1/procedures/9.999999", "/procedures/{code}", 404),
        ("/api/v1/procedures?level=huyen", "/procedures", 400),
        ("/api/v1/procedures?limit=abc", "/procedures", 400),
        ("/api/v1/procedures?q=" + "a" * 201, "/procedures", 400),
    ],
)
def test_errors_follow_the_contract(
    client: FlaskClient, url: str, template: str, status: int
) -> None:
    body = check(client, url, template, status)
    assert body["error"]["message"]


def test_every_documented_path_answers(client: FlaskClient) -> None:
    # The ticket, counter and event paths are exercised with real data in test_queue_web.py,
    # the dossier paths (a second fact or a staff token) in test_dossier_api.py and
    # test_payments.py, the reports (a manager's token) in test_reports.py, the province's sync
    # status (a manager's token) in tests/sync/test_sync_status.py.
    for template, ops in SPEC["paths"].items():
        skip = ("/tickets/{token}", "/queue/events", "/dossiers", "/dossiers/{code}",
                "/dossiers/{code}/payment", "/reports/period", "/reports/index",
                "/sync/status")  # fmt: skip
        if "get" not in ops or template in skip:
            continue
        url = "/api/v1" + template.replace("{code}", "1.004222")
        assert client.get(url).status_code == 200, url


def test_every_api_route_is_documented(client: FlaskClient) -> None:
    import re

    app = client.application
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        template = re.sub(r"<(?:\w+:)?counter_id>", "{id}", rule.rule.removeprefix("/api/v1"))
        template = re.sub(r"<(\w+)>", r"{\1}", template)
        assert template in SPEC["paths"], f"{rule.rule} is not in openapi.json"
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                assert method.lower() in SPEC["paths"][template], f"{method} {rule.rule}"
