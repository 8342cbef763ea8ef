"""Every HTTP error a page can answer with is a page in Vietnamese with a way back: the staff's
own page on the office and the agent portal, the citizens' on the kiosk and the phone pages,
the API's error shape under /api/; never Werkzeug's English default."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException, default_exceptions

from kiosk.site_wide import ERRORS
from tests.builders import sign_in

#: Werkzeug's English defaults, as its pages word them.
ENGLISH = ("Method Not Allowed", "The method is not allowed", "Bad Request", "Not Found",
           "Too Many Requests", "Internal Server Error", "Request Entity Too Large",
           "Payload Too Large", "Unauthorized", "Forbidden")  # fmt: skip


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


def english_in(page: str) -> list[str]:
    return [w for w in ENGLISH if w in page]


def test_a_post_only_address_opened_by_a_staff_member_says_so_in_vietnamese_with_a_way_back(
    floor: Flask, filed: dict[str, Any]
) -> None:
    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    code = filed["code"]
    for url in (f"/agent/dossiers/{code}/receipt", f"/agent/dossiers/{code}/hand-back"):
        r = agent.get(url)
        page = text(r)
        assert r.status_code == 405 and "POST" in r.headers["Allow"], url
        assert english_in(page) == [] and "office.css" in page and "ông/bà" not in page
        assert "Không mở trực tiếp được" in page and "Hồ sơ của chi nhánh" in page
        assert f'href="/agent/dossiers/{code}" data-testid="error-back"' in page
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    r = officer.get("/office/logout")
    if r.status_code == 405:
        assert english_in(text(r)) == [] and "office.css" in text(r)
    # A citizen's page: the kiosk's, in Vietnamese, with the way home.
    r = floor.test_client().get("/kiosk/reset")
    if r.status_code == 405:
        assert english_in(text(r)) == [] and "Về trang chủ" in text(r)
    # The API: its own error shape, in Vietnamese.
    r = floor.test_client().delete("/api/v1/procedures")
    assert r.status_code == 405 and r.get_json()["error"]["message"] == ERRORS[405][1]


#: Where each surface raises an error: the agent portal, the office, the kiosk, a phone page.
PLACES = (("/agent/dossiers/x", True), ("/office/dossiers/x", True), ("/kiosk/search", False),
          ("/d/000.00.01.H29-261203-0001", False))  # fmt: skip


def test_every_http_error_is_a_vietnamese_page_on_every_surface(floor: Flask) -> None:
    """Each code Werkzeug knows, raised where a staff page, a kiosk page and a phone page
    would raise it, through the app's own handlers."""
    for code in sorted(c for c in default_exceptions if c >= 400):
        exc: HTTPException = default_exceptions[code]()
        for path, staff in PLACES:
            with floor.test_request_context(path):
                floor.preprocess_request()
                resp = floor.make_response(floor.handle_http_exception(exc))
            page = text(resp)
            assert resp.status_code == code, (path, code)
            assert resp.mimetype == "text/html" and '<html lang="vi">' in page, (path, code)
            assert english_in(page) == [], (path, code, english_in(page))
            assert ("office.css" in page) == staff, (path, code)
            way = ("Đăng nhập", "Danh sách hồ sơ", "Hồ sơ của chi nhánh", "Trang làm việc")
            assert any(w in page for w in way) if staff else "Về trang chủ" in page, (path, code)
            if code in ERRORS and code != 404:
                assert ERRORS[code][0] in page, (path, code)
