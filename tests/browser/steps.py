"""What the browser tests do in Chromium, shared by their modules (a helper module, not a test
module; the fixtures are in `conftest.py`): screenshots, typing on the on-screen keyboard (also
`bench/citizen_filing.py`'s), the measure of a kiosk page, the judicial-record form's fields,
addresses and papers, what the spooler printed, and an officer's sign-in.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.builders import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
#: The kiosk's idle reset in the browser tests' server (seconds).
IDLE = 4
#: The `kiosk` command of this environment.
KIOSK = str(Path(sys.executable).with_name("kiosk"))


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


#: The on-screen keyboard's tone keys (static/js/keyboard.js), by the mark they put.
TONE_KEYS = {"\u0301": "{sac}", "\u0300": "{huyen}", "\u0309": "{hoi}", "\u0303": "{nga}",
             "\u0323": "{nang}"}  # fmt: skip


def taps_for(text: str) -> list[str]:
    """The keys a citizen taps on the on-screen keyboard to type `text`: shift before a capital,
    each letter's base (â ă ê ô ơ ư đ are keys), its tone key after the word's letters."""
    import unicodedata

    keys: list[str] = []
    for word in text.split(" "):
        if keys:
            keys.append("{space}")
        tone = None
        for ch in word:
            parts = unicodedata.normalize("NFD", ch)
            marks = [m for m in parts if m in TONE_KEYS]
            tone = tone or (marks[0] if marks else None)
            base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in TONE_KEYS))
            if base != base.lower():
                keys.append("{shift}")
            keys.append(base)
        if tone:
            keys.append(TONE_KEYS[tone])
    return keys


def type_by_tapping(page: Any, text: str) -> None:
    """Type `text` into the focused field by tapping the on-screen keyboard's keys alone."""
    for key in taps_for(text):
        page.locator(f'#osk button.hg-button[data-skbtn="{key}"]').tap()


#: Everything a finger is meant to hit on the kiosk.
TARGETS = "button, a.btn, a.tile, a.back, input, select, [role=button]"
MEASURE = """(targets) => {
  const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.right > vw + 1;
  }).map(el => el.tagName.toLowerCase() + '.' + el.className + ' right=' +
         Math.round(el.getBoundingClientRect().right));
  const small = [...document.querySelectorAll(targets)].filter(el => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || el.type === 'hidden') {
      return false;
    }
    // A check box counts by its label, which is the target a finger hits.
    const box = el.closest('label') ? el.closest('label').getBoundingClientRect() : r;
    return box.height < 64 || box.width < 64;
  }).map(el => el.tagName.toLowerCase() + '.' + el.className + ' "' +
         (el.textContent || el.value || '').trim().slice(0, 20) + '" ' +
         Math.round(el.getBoundingClientRect().width) + 'x' +
         Math.round(el.getBoundingClientRect().height));
  // Text wider than its own box (a number cut off at the card's edge).
  const clipped = [...document.querySelectorAll('main *')].filter(el =>
    el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1 &&  // 1 px: visually hidden
    !(el instanceof SVGElement) && getComputedStyle(el).display !== 'inline'
  ).map(el => el.tagName.toLowerCase() + '.' + el.className + ' ' + el.scrollWidth + '>' +
        el.clientWidth);
  return {scroll: document.documentElement.scrollWidth, vw, wide, small, clipped};
}"""


SCAN = "064185001234|123456789|Nguyễn Thị Hồng Nhung|12031985|Nữ|Tổ 3, Phường Quy Nhơn, Gia Lai"


def _pick_address(page: Any, prefix: str) -> None:
    """Gia Lai, then Phường Quy Nhơn. The commune is picked only once the list the province's
    change asked for has come back and been swapped in: a list already there (a scanned card
    fills the address) would otherwise be picked from, then replaced by the late answer, and
    the pick lost (seen once in CI under load: the form came back asking for the commune)."""
    with page.expect_response(lambda r: "/places/options" in r.url):
        page.select_option(f'select[name="{prefix}.province"]', "52")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    page.wait_for_selector(f'select[name="{prefix}.commune_code"] option[value="21583"]',
                           state="attached")  # fmt: skip
    page.select_option(f'select[name="{prefix}.commune_code"]', "21583")


def _fill_judicial_record(page: Any, pdf: Path, photo: Path) -> None:
    """The judicial-record form's own fields and its two papers, as the kiosk and the agent
    portal both show them."""
    page.fill('input[name="f.noi_sinh"]', "Gia Lai")
    page.fill('input[name="f.dan_toc"]', "Kinh")
    page.fill('input[name="f.quoc_tich"]', "Việt Nam")
    _pick_address(page, "f.noi_thuong_tru")
    page.select_option('select[name="f.loai_phieu"]', "Phiếu số 1")
    page.fill('input[name="f.so_luong_phieu"]', "1")
    page.select_option('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
    page.fill('textarea[name="f.muc_dich"]', "Bổ sung hồ sơ xin việc")
    _upload(page, 0, pdf)
    _upload(page, 1, photo)


def _file_in_steps(page: Any, pdf: Path, photo: Path) -> None:
    """From the card's step (scanned) to the check-your-answers page, one step at a time."""

    def next_step() -> None:
        with page.expect_navigation():
            page.get_by_role("button", name="Tiếp tục").tap()

    next_step()
    page.fill('input[name="a.phone"]', "0905123456")
    next_step()
    page.fill('input[name="f.noi_sinh"]', "Gia Lai")
    page.fill('input[name="f.dan_toc"]', "Kinh")
    page.fill('input[name="f.quoc_tich"]', "Việt Nam")
    next_step()  # Nơi thường trú: filled by the scan
    next_step()
    page.select_option('select[name="f.loai_phieu"]', "Phiếu số 1")
    page.fill('input[name="f.so_luong_phieu"]', "1")
    page.select_option('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
    next_step()
    page.fill('textarea[name="f.muc_dich"]', "Bổ sung hồ sơ xin việc")
    next_step()
    _upload(page, 0, pdf)
    _upload(page, 1, photo)
    next_step()
    page.get_by_text("Kiểm tra lại trước khi nộp").first.wait_for()


def _upload(page: Any, index: int | str, path: Path) -> None:
    item = page.locator(f'li.doc[data-doc="{index}"]')
    item.locator("input[type=file]").first.set_input_files(str(path))
    item.locator(".upload-status", has_text="Đã tải lên.").wait_for()
    assert item.locator("img.thumb").is_visible()


def _printed_since(instance: Path, before: set[str], wanted: str, timeout: float = 15.0) -> Any:
    """The first job printed since `before` whose QR code is `wanted` (other tests' tickets
    may still be coming out of the spooler)."""
    from printers.reader import read_escpos

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((instance / "prints").glob("*.bin")):
            if path.name in before:
                continue
            before.add(path.name)
            printed = read_escpos(path.read_bytes())
            if wanted in printed.qr_payloads:
                return printed
        time.sleep(0.2)
    pytest.fail(f"nothing was printed with the QR code {wanted}")


def _sign_in(page: Any, server: str, name: str, password: str, target: str) -> None:
    page.goto(server + "/office/login?next=" + target)
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
