"""Read aloud (Nghe) at the kiosk: Vietnamese speech made on this machine by eSpeak NG, cached
as WAV files keyed by the text, played at the manager's volume."""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import speech
from tests.builders import csrf


def test_dates_ticket_numbers_and_codes_are_said_as_a_caller_says_them() -> None:
    assert speech.speakable("Hẹn trả  12/03/2026") == "Hẹn trả ngày 12 tháng 3 năm 2026"
    assert speech.speakable("Số A015") == "Số a, không, một, năm"
    said = speech.speakable("Mã hồ sơ 000.00.01.H29-261203-0001")
    assert "hai sáu một hai không ba" in said and "không không không một" in said


def test_the_audio_is_real_vietnamese_speech_cached_on_the_second_call(
    client: FlaskClient, demo_app: Flask
) -> None:
    text = "Tra cứu thủ tục hành chính"
    first = client.get("/kiosk/speak", query_string={"text": text})
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert first.headers["X-Speech-Cache"] == "miss"
    with wave.open(io.BytesIO(first.data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        seconds = w.getnframes() / w.getframerate()
        frames = w.readframes(w.getnframes())
    assert 1.0 < seconds < 10.0
    # Speech, not silence: a good part of the samples are loud.
    samples = memoryview(frames).cast("h")
    assert sum(1 for s in samples if abs(s) > 1000) > len(samples) // 20
    cached = list((Path(demo_app.instance_path) / "speech").glob("*.wav"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.data

    second = client.get("/kiosk/speak", query_string={"text": text})
    assert second.headers["X-Speech-Cache"] == "hit" and second.data == first.data
    # The same words written otherwise (spaces, NFD) are the same file.
    import unicodedata

    third = client.get("/kiosk/speak", query_string={"text": unicodedata.normalize("NFD", text)})
    assert third.headers["X-Speech-Cache"] == "hit"


def test_new_speech_is_rate_limited_per_address_and_the_cache_still_answers(
    client: FlaskClient, demo_app: Flask
) -> None:
    demo_app.config["SPEECH_PER_MINUTE"] = 2
    said = client.get("/kiosk/speak", query_string={"text": "Lấy số thứ tự"})
    assert said.status_code == 200 and said.headers["X-Speech-Cache"] == "miss"
    assert client.get("/kiosk/speak", query_string={"text": "Nộp hồ sơ"}).status_code == 200
    # A third new text within the minute: eSpeak NG is not run; the answer says why.
    refused = client.get("/kiosk/speak", query_string={"text": "Tra cứu hồ sơ"})
    assert refused.status_code == 429 and refused.mimetype == "text/plain"
    assert refused.headers["Retry-After"] == "60"
    assert "quá nhiều" in refused.get_data(as_text=True) and "Nghe" in refused.get_data(
        as_text=True
    )
    assert len(list((Path(demo_app.instance_path) / "speech").glob("*.wav"))) == 2
    # What is already said comes from the cache, not counted: the screen keeps speaking it.
    again = client.get("/kiosk/speak", query_string={"text": "Lấy số thứ tự"})
    assert again.status_code == 200 and again.headers["X-Speech-Cache"] == "hit"
    # Another address (another kiosk) has its own count.
    other = client.get("/kiosk/speak", query_string={"text": "Tra cứu hồ sơ"},
                       environ_base={"REMOTE_ADDR": "10.0.0.9"})  # fmt: skip
    assert other.status_code == 200


def test_nothing_or_too_much_to_say_is_refused(client: FlaskClient) -> None:
    assert client.get("/kiosk/speak?text=").status_code == 404
    assert client.get("/kiosk/speak", query_string={"text": "a" * 700}).status_code == 404


def test_reading_aloud_is_kept_until_the_idle_reset(client: FlaskClient) -> None:
    token = csrf(client, "/kiosk/")
    assert 'data-read-aloud="on"' not in client.get("/kiosk/").text
    client.post("/kiosk/read-aloud", data={"next": "/kiosk/", "csrf_token": token})
    page = client.get("/kiosk/queue").text
    assert 'data-read-aloud="on"' in page
    assert re.search(r'data-speech-volume="0\.9"', page)
    client.get("/kiosk/reset")
    assert 'data-read-aloud="on"' not in client.get("/kiosk/").text


def _text_of(url: str) -> str | None:
    if "/kiosk/speak?" not in url:
        return None
    return parse_qs(urlsplit(url).query)["text"][0]


def _spoken(page: Any, action: Any, count: int = 1) -> list[str]:
    """The texts the page asks to be spoken while `action` runs (the first `count`)."""
    texts: list[str] = []

    def seen(req: Any) -> None:
        if "/kiosk/speak?" in req.url:
            texts.append(parse_qs(urlsplit(req.url).query)["text"][0])

    page.on("request", seen)
    action()
    deadline = 30  # 3 s: the test server's idle reset comes after 4
    while len(texts) < count and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    page.remove_listener("request", seen)
    return texts


@pytest.mark.browser
def test_nghe_reads_the_heading_then_each_field_and_the_ticket_number(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(server + "/kiosk/search")
        heading = page.inner_text("h1")
        with page.expect_response(lambda r: _text_of(r.url) == heading) as answer:
            texts = _spoken(page, lambda: page.get_by_role("button", name="Nghe").tap())
        assert texts[0] == heading == "Tra cứu thủ tục"
        response = answer.value
        assert response.status == 200 and response.header_value("content-type") == "audio/wav"
        assert response.body()[:4] == b"RIFF"
        assert page.get_attribute(".read-aloud-btn", "aria-pressed") == "true"

        # Kept on the next screen: its heading is read at once, each field's label on touch.
        texts = _spoken(page, lambda: page.goto(server + "/kiosk/file/3.000333"))
        assert texts[0] == page.inner_text("h1")
        texts = _spoken(page, lambda: page.locator('input[name="a.cccd"]').tap())
        assert texts and texts[-1].startswith("Số CCCD")

        # The ticket screen says the number.
        _spoken(page, lambda: page.goto(server + "/kiosk/queue"), count=2)  # its own words first
        texts = _spoken(page, lambda: page.locator("button.tile-service").first.tap(), count=3)
        number = page.inner_text('[data-testid="ticket-number"]')
        assert any(number in t for t in texts), texts
    finally:
        context.close()


def test_the_displays_speak_at_the_same_volume(client: FlaskClient) -> None:
    page = client.get("/office/display").text
    assert 'data-speech-volume="0.9"' in page


@pytest.mark.browser
def test_errors_are_read_when_they_appear(browser: Any, server: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(server + "/kiosk/file/3.000333")
        _spoken(page, lambda: page.get_by_role("button", name="Nghe").tap())
        button = page.get_by_role("button", name="Tiếp tục")  # the card step, left empty
        texts = _spoken(page, button.tap, count=3)
        assert any(t.startswith("Hồ sơ chưa đúng hoặc còn thiếu") for t in texts), texts
        first_error = page.locator(".field-error").first.inner_text()
        assert first_error in texts, texts
    finally:
        context.close()
