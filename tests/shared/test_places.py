"""Places for addresses: the 34 provinces and their communes after the 2025 merger, searched
without diacritics, through the domain and `GET /api/v1/places` (held to OpenAPI)."""

from __future__ import annotations

from flask.testing import FlaskClient

from kiosk.domain import places
from tests.builders import valid


def test_34_provinces_and_every_commune_with_national_codes() -> None:
    provinces = places.provinces()
    assert len(provinces) == 34 and ("52", "Gia Lai") in provinces
    assert ("01", "Thành phố Hà Nội") in provinces
    quy_nhon = places.get_commune("21583")
    assert quy_nhon is not None and quy_nhon.name == "Phường Quy Nhơn"
    assert quy_nhon.province_code == "52" and quy_nhon.province_name == "Gia Lai"
    assert places.get_commune("70") == places.get_commune("00070")
    for bad in ("", "abc", "999999", "1 OR 1=1"):
        assert places.get_commune(bad) is None


def test_search_ignores_diacritics_and_puts_the_best_first() -> None:
    found = places.search("quy nhon")
    assert found[0].name == "Phường Quy Nhơn"
    assert "Phường Quy Nhơn Đông" in [c.name for c in found]
    assert all(c.province_code == "52" for c in places.search("pleiku", province_code="52"))
    assert places.search("pleiku")[0].name == "Phường Pleiku"
    # A word of the province's name narrows too.
    assert all(c.province_name == "Gia Lai" for c in places.search("gia lai quy"))
    assert places.search("khong co noi nao ten nhu vay") == []
    assert len(places.search("", limit=5)) == 5


def test_the_api_finds_communes(client: FlaskClient) -> None:
    r = client.get("/api/v1/places?q=quy%20nh%C6%A1n&limit=3")
    assert r.status_code == 200
    body = r.get_json()
    valid(body, "/places", "get", 200)
    assert body["items"][0] == {
        "code": "21583", "name": "Phường Quy Nhơn", "province_code": "52",
        "province_name": "Gia Lai",
    }  # fmt: skip
    only = client.get("/api/v1/places?province=52&limit=100").get_json()["items"]
    assert len(only) == 100 and {c["province_code"] for c in only} == {"52"}


def test_bad_place_requests_get_a_message_never_a_500(client: FlaskClient) -> None:
    for url in ("/api/v1/places?q=" + "a" * 101, "/api/v1/places?province=<b>",
                "/api/v1/places?limit=nhieu"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 400, url
        valid(r.get_json(), "/places", "get", 400)
        assert "<b>" not in r.get_data(as_text=True)
    markup = client.get("/api/v1/places?q=%3Cscript%3E'%20OR%201=1--")
    assert markup.status_code == 200 and markup.get_json() == {"items": []}
