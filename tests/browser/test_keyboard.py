"""The kiosk's on-screen keyboard (static/js/keyboard.js): Vietnamese names typed by taps alone,
stored and searched exactly, in NFC; digits only on numeric fields; never over the field."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.browser.steps import (
    SCAN,
    shot,
    taps_for,
    type_by_tapping,
)

NAME = "Nguyễn Thị Hồng Nhung"
PLACE = "Đắk Lắk"


def test_taps_for_a_name_use_the_base_letters_and_tone_keys() -> None:
    assert taps_for("Đắk") == ["{shift}", "Đ", "ă", "k", "{sac}"]
    assert taps_for("Hồng") == ["{shift}", "H", "ô", "n", "g", "{huyen}"]


@pytest.fixture
def kiosk(browser: Any) -> Any:  # noqa: F811
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _keyboard_clear_of(page: Any, field: str) -> None:
    """The keyboard is open and the field being typed is above it, not under it."""
    osk = page.locator("#osk")
    assert osk.is_visible()
    top = osk.bounding_box()["y"]
    box = page.locator(field).bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= top, (box, top)


@pytest.mark.browser
def test_tone_keys_place_their_mark_as_vietnamese_writes_it(kiosk: Any, server: str) -> None:  # noqa: F811
    kiosk.goto(server + "/kiosk/search")
    place = kiosk.evaluate(
        """(words) => words.map(([w, tone]) => window.kioskKeyboard.applyTone(w, tone))""",
        [
            ["nguyen", "\u0303"], ["thi", "\u0323"], ["cua", "\u0309"], ["hoa", "\u0300"],
            ["toan", "\u0301"], ["nguoi", "\u0300"], ["quy", "\u0301"], ["gia", "\u0301"],
            ["ngoai", "\u0323"], ["khuyen", "\u0309"], ["đăk", "\u0301"], ["ma", "\u0301"],
        ],
    )  # fmt: skip
    assert place == ["nguyẽn", "thị", "của", "hòa", "toán", "nguòi", "quý", "giá", "ngoại",
                     "khuyẻn", "đắk", "má"]  # fmt: skip
    # Again the same tone takes it off; another one replaces it.
    again = kiosk.evaluate("window.kioskKeyboard.applyTone('má', '\\u0301')")
    other = kiosk.evaluate("window.kioskKeyboard.applyTone('má', '\\u0300')")
    assert (again, other) == ("ma", "mà")


@pytest.mark.browser
def test_a_name_and_a_place_typed_by_taps_are_stored_in_nfc(
    kiosk: Any,
    server: str,  # noqa: F811
    instance: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.builders import sample_image, sample_pdf

    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(sample_pdf(1.0))
    photo = tmp_path / "cccd.jpg"
    photo.write_bytes(sample_image())

    def next_step() -> None:
        with kiosk.expect_navigation():
            kiosk.get_by_role("button", name="Tiếp tục").tap()

    kiosk.goto(server + "/kiosk/file/3.000333")
    # The card: the scanner fills it, then the name is typed again by taps alone.
    kiosk.locator("#scan").click()
    kiosk.keyboard.type(SCAN + "\n")
    kiosk.locator("#scan-result", has_text="Đã đọc thẻ căn cước").wait_for()
    name = 'input[name="a.full_name"]'
    kiosk.locator(name).tap()
    _keyboard_clear_of(kiosk, name)
    kiosk.locator('#osk [data-skbtn="{clear}"]').tap()
    type_by_tapping(kiosk, NAME)
    assert kiosk.input_value(name) == NAME
    kiosk.locator('#osk [data-skbtn="{done}"]').tap()
    next_step()
    # The contact step: a numeric field gets the digits alone.
    kiosk.locator('input[name="a.phone"]').tap()
    assert kiosk.locator("#osk").get_attribute("data-layout") == "digits"
    assert kiosk.locator('#osk [data-skbtn="a"]').count() == 0
    shot(kiosk, "61-keyboard-digits")
    type_by_tapping(kiosk, "0905123456")
    kiosk.locator('#osk [data-skbtn="{done}"]').tap()
    assert kiosk.locator("#osk").is_hidden()
    next_step()
    # The form's first step: the place of birth with its marks, by taps.
    place = 'input[name="f.noi_sinh"]'
    kiosk.locator(place).tap()
    _keyboard_clear_of(kiosk, place)
    kiosk.locator('#osk [data-skbtn="{clear}"]').tap()
    type_by_tapping(kiosk, PLACE)
    shot(kiosk, "60-keyboard-vietnamese")
    assert kiosk.input_value(place) == PLACE
    kiosk.locator('#osk [data-skbtn="{done}"]').tap()
    kiosk.fill('input[name="f.dan_toc"]', "Jrai")
    kiosk.fill('input[name="f.quoc_tich"]', "Việt Nam")
    next_step()
    next_step()  # "Nơi thường trú", filled by the scan
    kiosk.select_option('select[name="f.loai_phieu"]', "Phiếu số 1")
    kiosk.fill('input[name="f.so_luong_phieu"]', "1")
    kiosk.select_option('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
    next_step()
    kiosk.fill('textarea[name="f.muc_dich"]', "Bổ sung hồ sơ xin việc")
    next_step()
    for i, path in ((0, pdf), (1, photo)):
        item = kiosk.locator(f'li.doc[data-doc="{i}"]')
        item.locator("input[type=file]").first.set_input_files(str(path))
        item.locator(".upload-status", has_text="Đã tải lên.").wait_for()
    next_step()
    with kiosk.expect_navigation():
        kiosk.get_by_role("button", name="Nộp hồ sơ").tap()
    kiosk.wait_for_url("**/kiosk/file/done/*")
    code = kiosk.inner_text(".dossier-code").strip()

    # Read aloud, the receipt screen says the dossier's code and its due date.
    spoken: list[str] = []
    kiosk.on("request", lambda r: spoken.append(parse_qs(urlsplit(r.url).query)["text"][0])
             if "/kiosk/speak?" in r.url else None)  # fmt: skip
    kiosk.get_by_role("button", name="Nghe").tap()
    kiosk.wait_for_timeout(1500)
    due = kiosk.locator("dl.facts dd strong").last.inner_text()
    assert f"Mã hồ sơ: {code}" in spoken and any(due in t and "Hẹn trả" in t for t in spoken)

    with sqlite3.connect(instance / "kiosk.db") as db:
        stored_name, fields = db.execute(
            "SELECT applicant_name, fields FROM dossier WHERE code = ?", (code,)
        ).fetchone()
    stored_place = json.loads(fields)["noi_sinh"]
    assert (stored_name, stored_place) == (NAME, PLACE)
    for text in (stored_name, stored_place):
        assert text == unicodedata.normalize("NFC", text)


@pytest.mark.browser
def test_the_look_up_is_searched_with_what_was_tapped(kiosk: Any, server: str) -> None:  # noqa: F811
    kiosk.goto(server + "/kiosk/search")
    # The search box has the keyboard at once.
    kiosk.locator("#osk").wait_for()
    _keyboard_clear_of(kiosk, "#q")
    type_by_tapping(kiosk, PLACE)
    kiosk.get_by_role("button", name="Tìm", exact=True).tap()
    kiosk.wait_for_url("**/kiosk/search?**")
    assert kiosk.input_value("#q") == PLACE
    assert parse_qs(urlsplit(kiosk.url).query)["q"] == [PLACE]
    assert PLACE == unicodedata.normalize("NFC", PLACE)


def test_the_keyboard_is_on_the_kiosk_only(client: FlaskClient) -> None:
    for path in ("/kiosk/", "/kiosk/search", "/kiosk/file/3.000333", "/kiosk/status"):
        page = client.get(path).text
        assert 'id="osk"' in page and "vendor/simple-keyboard.js" in page, path
    # Not on a phone's page, nor on the staff's screens (they have real keyboards).
    for path in ("/d/KHONG-CO", "/office/login"):
        page = client.get(path).text
        assert 'id="osk"' not in page and "simple-keyboard" not in page, path


def _under(page: Any, selector: str) -> str:
    """The link of the page (outside the keyboard) under the middle of `selector`, if any."""
    return str(page.evaluate(
        """(sel) => {
            const r = document.querySelector(sel).getBoundingClientRect();
            const at = document.elementsFromPoint(r.x + r.width / 2, r.y + r.height / 2)
                .find((el) => !el.closest('#osk'));
            const link = at && at.closest('a');
            return link ? link.getAttribute('href') : '';
        }""",
        selector,
    ))  # fmt: skip


def _scroll_under(page: Any, selector: str) -> None:
    """Scroll the first procedure of the results right under `selector`."""
    page.evaluate(
        """(sel) => {
            const key = document.querySelector(sel).getBoundingClientRect();
            const link = document.querySelector('#results .result-list a').getBoundingClientRect();
            window.scrollBy(0, (link.y + link.height / 2) - (key.y + key.height / 2));
        }""",
        selector,
    )


@pytest.mark.browser
def test_done_closes_the_keyboard_and_nothing_behind_it_gets_the_tap(
    kiosk: Any,
    server: str,  # noqa: F811
) -> None:
    kiosk.goto(server + "/kiosk/search")
    kiosk.locator("#osk").wait_for()
    type_by_tapping(kiosk, "giấy")
    kiosk.locator("#results .result-list a").first.wait_for()
    # Scrolled so that a procedure of the list lies right under "Xong".
    done = '#osk [data-skbtn="{done}"]'
    _scroll_under(kiosk, done)
    assert _under(kiosk, done).startswith("/kiosk/procedures/"), _under(kiosk, done)
    here = kiosk.url
    kiosk.locator(done).tap()
    kiosk.wait_for_timeout(800)
    assert kiosk.locator("#osk").is_hidden()
    assert kiosk.url == here
    # A mouse (a kiosk with a pointer) is held back the same way.
    kiosk.locator("#q").click()
    assert kiosk.locator("#osk").is_visible()
    _scroll_under(kiosk, done)
    assert _under(kiosk, done).startswith("/kiosk/procedures/")
    kiosk.locator(done).click()
    kiosk.wait_for_timeout(800)
    assert kiosk.locator("#osk").is_hidden() and kiosk.url == here


@pytest.mark.browser
def test_an_email_field_gets_a_keyboard_with_its_signs(kiosk: Any, server: str) -> None:  # noqa: F811
    field = 'input[name="f.email"]'
    for step in range(3, 8):  # the judicial record's form step that asks for the email
        kiosk.goto(f"{server}/kiosk/file/3.000333?step={step}")
        if kiosk.locator(field).count():
            break
    kiosk.locator(field).tap()
    assert kiosk.locator("#osk").get_attribute("data-layout") == "email"
    for key in "an.le_9-x@mail.gov":
        kiosk.locator(f'#osk [data-skbtn="{key}"]').tap()
    kiosk.locator('#osk [data-skbtn=".vn"]').tap()
    assert kiosk.input_value(field) == "an.le_9-x@mail.gov.vn"
    # No tone keys nor space on it.
    assert kiosk.locator('#osk [data-skbtn="{sac}"], #osk [data-skbtn="{space}"]').count() == 0
    kiosk.locator('#osk [data-skbtn="{done}"]').tap()
    assert kiosk.locator("#osk").is_hidden()


#: The captions of the keyboard's keys cut inside a word, or wider than their key.
BROKEN_CAPTIONS = """() => {
  const out = [];
  for (const key of document.querySelectorAll('#osk .hg-button')) {
    if (key.scrollWidth > key.clientWidth + 1) { out.push(key.innerText + ' (too wide)'); }
    const walker = document.createTreeWalker(key, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
        if (lines.size > 1) { out.push(key.innerText); }
      }
    }
  }
  return out;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1080, 1920), (1920, 1080)])
def test_the_keys_captions_never_break_inside_a_word(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    width: int,
    height: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(server + "/kiosk/search")
        page.locator("#osk").wait_for()
        assert page.evaluate(BROKEN_CAPTIONS) == []
        page.locator('#osk [data-skbtn="{shift}"]').tap()
        assert page.evaluate(BROKEN_CAPTIONS) == []
    finally:
        context.close()
