"""The kiosk's pages: full page and htmx fragment, languages, errors, no external requests."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

HTMX = {"HX-Request": "true", "HX-Target": "results"}


def test_root_sends_to_kiosk_home(client: FlaskClient) -> None:
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/")


def test_home_has_tiles_for_what_exists(client: FlaskClient) -> None:
    html = client.get("/kiosk/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    for title in ("Tra cứu thủ tục", "Thủ tục theo lĩnh vực", "Thủ tục cấp xã", "Thủ tục cấp tỉnh"):
        assert title in html
    assert 'data-idle-seconds="90"' in html


def test_staff_sign_in_from_every_surfaces_home(client: FlaskClient) -> None:
    """The kiosk's home has a quiet staff link at its foot (officers and bank agents sign in
    there too); the office's home sends to the sign-in; the agent portal's home has its card."""
    html = client.get("/kiosk/").get_data(as_text=True)
    door = re.search(r'<footer class="staff-door">\s*<a href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert door is not None and door.groups() == ("/office/login", "Cán bộ đăng nhập")
    assert html.index("staff-door") > html.rindex('class="tile ')  # after every citizen's tile
    assert "Đăng nhập" in client.get(door.group(1)).get_data(as_text=True)
    office = client.get("/office/")
    assert office.status_code == 302 and office.headers["Location"].endswith("/office/login")
    agent = client.get("/agent/").get_data(as_text=True)
    assert 'data-testid="agent-sign-in"' in agent and "/office/login?next=" in agent
    client.get("/lang/en")
    assert "Staff sign-in</a>" in client.get("/kiosk/").get_data(as_text=True)


def test_search_full_page_and_fragment(client: FlaskClient) -> None:
    page = client.get("/kiosk/search?q=doi+giay+phep+lai+xe")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<html" in html and 'id="osk"' in html and 'id="results"' in html
    assert "HX-Request" in page.headers["Vary"]

    frag = client.get("/kiosk/search?q=doi+giay+phep+lai+xe", headers=HTMX)
    body = frag.get_data(as_text=True)
    assert "<html" not in body and "keyboard" not in body
    assert body.strip().startswith('<section id="results"')
    first = re.search(r'class="result-name">(.*?)<', body)
    assert first and first.group(1).startswith("Đổi giấy phép lái xe")


def test_boosted_navigation_gets_the_whole_page(client: FlaskClient) -> None:
    r = client.get("/kiosk/search?q=khai", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in r.get_data(as_text=True)


def test_search_without_results_says_what_to_do(client: FlaskClient) -> None:
    body = client.get("/kiosk/search?q=qqqqzzzz", headers=HTMX).get_data(as_text=True)
    assert "Không tìm thấy thủ tục nào" in body


def test_browse_by_field_and_level(client: FlaskClient) -> None:
    html = client.get("/kiosk/fields?level=xa").get_data(as_text=True)
    assert "Hộ tịch" in html and "Lý lịch tư pháp" not in html
    html = client.get("/kiosk/fields").get_data(as_text=True)
    assert len(re.findall('class="field-tile"', html)) >= 8
    html = client.get("/kiosk/search?field=H%E1%BB%99+t%E1%BB%8Bch&level=xa").get_data(as_text=True)
    assert "Đăng ký khai sinh" in html and "Đăng ký thường trú" not in html
    assert client.get("/kiosk/fields?level=bogus").status_code == 200


def test_procedure_page_a_citizen_can_act_on(client: FlaskClient) -> None:
    html = client.get("/kiosk/procedures/1.004222").get_data(as_text=True)
    assert "Đăng ký thường trú" in html
    assert "Tờ khai thay đổi thông tin cư trú" in html and "CT01" in html  # checklist
    assert "7 ngày làm việc" in html
    assert "20.000 đ" in html and "10.000 đ" in html
    assert "Nộp trực tuyến rẻ hơn 10.000 đ so với nộp trực tiếp" in html
    assert "Công an cấp xã" in html  # where to file
    assert "<svg" in html and "http://kiosk.test/kiosk/procedures/1.004222" in html  # phone QR


def test_without_a_public_url_the_phone_qr_opens_this_host(client: FlaskClient) -> None:
    """The one fallback (`view_helpers.public_url`): PUBLIC_URL, else the request's host."""
    client.application.config["PUBLIC_URL"] = ""
    html = client.get("/kiosk/procedures/1.004222", base_url="http://10.0.0.5:8000").get_data(
        as_text=True
    )
    assert "http://10.0.0.5:8000/kiosk/procedures/1.004222" in html


def test_expired_online_discount_is_not_shown(client: FlaskClient) -> None:
    # Driving-licence exchange: 115.000 đ online only until 2025-12-31.
    html = client.get("/kiosk/procedures/1.002804").get_data(as_text=True)
    assert "135.000 đ" in html
    assert "Nộp trực tuyến rẻ hơn" not in html


def test_free_and_same_day(client: FlaskClient) -> None:
    html = client.get("/kiosk/procedures/1.001193").get_data(as_text=True)
    assert "Miễn phí" in html and "Trong ngày" in html


def test_english_one_tap_away_and_back(client: FlaskClient) -> None:
    r = client.get("/lang/en?next=/kiosk/procedures/1.004222")
    assert r.status_code == 302 and r.headers["Location"].endswith("/kiosk/procedures/1.004222")
    html = client.get("/kiosk/procedures/1.004222").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Documents to bring" in html and "Filing online costs 10,000" not in html
    assert "Filing online costs 10.000 đ less than in person" in html
    client.get("/lang/vi")
    assert "Giấy tờ cần mang" in client.get("/kiosk/procedures/1.004222").get_data(as_text=True)


def test_language_switch_is_not_an_open_redirect(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        r = client.get("/lang/en", query_string={"next": target})
        assert r.headers["Location"].endswith("/kiosk/")


def test_unknown_procedure_is_a_vietnamese_404(client: FlaskClient) -> None:
    r = client.get("/kiosk/procedures/9.999999")
    assert r.status_code == 404
    assert "Không tìm thấy trang này" in r.get_data(as_text=True)


def test_no_request_leaves_the_machine(client: FlaskClient) -> None:
    for url in (
        "/kiosk/",
        "/kiosk/search?q=khai",
        "/kiosk/fields",
        "/kiosk/procedures/1.004222",
        "/agent/",
    ):
        r = client.get(url)
        html = r.get_data(as_text=True)
        for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", attr), f"{url} loads {attr}"
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]


def test_agent_portal_lists_only_online_procedures(client: FlaskClient) -> None:
    html = client.get("/agent/?q=chung+thuc").get_data(as_text=True)
    assert "Chứng thực bản sao" not in html  # in person only
    html = client.get("/agent/?q=thuong+tru", headers=HTMX).get_data(as_text=True)
    assert "<html" not in html and "Đăng ký thường trú" in html
    assert 'data-idle-seconds="0"' in client.get("/agent/").get_data(as_text=True)


def test_the_fee_shown_is_the_fee_of_the_sites_day(demo_app: Flask, client: FlaskClient) -> None:
    """On the day a fee changes, the page and the API show the fee of the site's day, the one
    filing charges (`clock.today`), even where the server's own day is another."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from kiosk.domain.clock import today
    from kiosk.models import Channel, Fee, Procedure

    server_day = dt.date.today()
    # +14 h or -12 h from UTC: one of the two is on another day than the server right now.
    zone = next(z for z in ("Pacific/Kiritimati", "Etc/GMT+12") if today(ZoneInfo(z)) != server_day)
    demo_app.config["SITE_TZ"] = zone
    site_day = today(ZoneInfo(zone))
    s = demo_app.extensions["kiosk.sessionmaker"]()
    channel = s.scalar(
        select(Channel)
        .join(Procedure)
        .where(Procedure.code == "1.004222", Channel.kind == "truc_tiep")
    )
    assert channel is not None
    for f in channel.fees:  # the old fee ends the day before the site's, the new one starts
        f.valid_from, f.valid_to = None, site_day - dt.timedelta(days=1)
    # In force on the site's day only: on the server's, either fee or none would show.
    s.add(Fee(channel_id=channel.id, position=9, amount_vnd=30000, valid_from=site_day,
              valid_to=site_day))  # fmt: skip
    s.commit()
    s.close()
    html = client.get("/kiosk/procedures/1.004222").get_data(as_text=True)
    assert "30.000 đ" in html and "Nộp trực tuyến rẻ hơn 20.000 đ" in html  # 30,000 - 10,000
    api = client.get("/api/v1/procedures/1.004222").get_json()
    fee = next(c for c in api["channels"] if c["kind"] == "truc_tiep")["current_fee_vnd"]
    assert fee == 30000
