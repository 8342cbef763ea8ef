"""A first-time citizen files a judicial-record certificate (*lý lịch tư pháp*, 3.000333) at
the kiosk, from the home screen to the receipt, by touch, in real Chromium (Debian's, driven by
Playwright), then follows it on a phone from the receipt's QR code.

The app runs as it does on site (`kiosk demo`, then `kiosk serve`: gunicorn, SQLite, the
spooler printing to files). For each kiosk size (1080×1920 portrait, 1920×1080 landscape) it
prints:
- taps (each touch on the screen: a tile, a button, a field, an option, each key of the
  on-screen keyboard; the scanner's own typing is not counted),
- characters typed (the fields the card does not fill), screens (pages loaded or swapped), and
- seconds of server time: for every request to the app, the time from the request sent to the
  first byte of the answer (Chromium's Resource Timing, on the loopback, so network-free), and
  the wall clock the walk took (which includes this script's own pace);
and saves a screenshot of each screen under docs/screenshots/kiosk/ (as 8-bit PNGs, half size),
the phone's at 360×740.

    .venv/bin/python bench/citizen_filing.py            # both sizes, screenshots kept
    .venv/bin/python bench/citizen_filing.py --no-shots # figures only
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The on-screen keyboard's keys for a text, as the browser tests tap them (one place for both).
from tests.browser.steps import taps_for  # noqa: E402

KIOSK = str(Path(sys.executable).with_name("kiosk"))
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "kiosk"
SCAN = "064185001234|123456789|Nguyễn Thị Hồng Nhung|12031985|Nữ|Tổ 3, Phường Quy Nhơn, Gia Lai"
SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


@dataclass
class Walk:
    name: str
    page: Any
    shots: bool
    taps: int = 0
    typed: int = 0
    screens: int = 0
    server_ms: list[float] = field(default_factory=list)
    slow: list[tuple[float, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def tap(self, locator: Any) -> None:
        locator.tap()
        self.taps += 1

    def type_into(self, selector: str, text: str) -> None:
        """Tap the field, then the on-screen keyboard's keys, then "Xong"."""
        self.tap(self.page.locator(selector))
        for key in taps_for(text):
            self.tap(self.page.locator(f'#osk button.hg-button[data-skbtn="{key}"]'))
        self.tap(self.page.locator('#osk button.hg-button[data-skbtn="{done}"]'))
        self.typed += len(text)

    def choose(self, selector: str, value: str) -> None:
        """A drop-down by touch: one tap opens it, one picks the option."""
        self.page.select_option(selector, value)
        self.taps += 2

    def screen(self, label: str) -> None:
        self.page.wait_for_load_state()
        self.screens += 1
        self.steps.append(label)
        if self.shots:
            save(self.page, f"{self.name}-{self.screens:02d}-{label}")


def save(page: Any, name: str) -> None:
    """A small PNG of what the screen shows: half size, 256 colours."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    raw = Image.open(io.BytesIO(page.screenshot(full_page=False)))
    small = raw.convert("RGB").resize((raw.width // 2, raw.height // 2), Image.LANCZOS)
    small.quantize(colors=256).save(SHOTS / f"{name}.png", optimize=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample_pdf(path: Path) -> None:
    Image.frombytes("RGB", (600, 850), os.urandom(600 * 850 * 3)).save(path, "PDF", quality=80)


def sample_photo(path: Path) -> None:
    Image.new("RGB", (640, 400), (40, 90, 160)).save(path, "JPEG")


def server_time(request: Any, base: str) -> float | None:
    """Request sent to first byte of the answer (ms) for a request to the app (not its static
    files), from Chromium's timing of it."""
    if not request.url.startswith(base) or "/static/" in request.url:
        return None
    t = request.timing
    if t.get("responseStart", -1) < 0 or t.get("requestStart", -1) < 0:
        return None
    return float(t["responseStart"] - t["requestStart"])


def walk(browser: Any, base: str, name: str, size: tuple[int, int], tmp: Path, shots: bool) -> Walk:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=True)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    w = Walk(name, page, shots)

    def finished(request: Any) -> None:
        ms = server_time(request, base)
        if ms is not None:
            w.server_ms.append(ms)
            w.slow.append((ms, f"{request.method} {request.url[len(base) :].split('?')[0]}"))

    page.on("requestfinished", finished)
    page.goto(base + "/kiosk/reset")
    w.screen("trang-chu")
    w.tap(page.locator("a.tile-file"))
    page.wait_for_url("**/kiosk/file")
    w.screen("chon-thu-tuc")
    w.tap(page.get_by_text("Cấp phiếu lý lịch tư pháp").first)
    page.wait_for_url("**/kiosk/file/3.000333")
    w.screen("buoc-1-the")
    # The card on the scanner: it types the QR code and Enter.
    w.tap(page.locator("#scan"))
    page.keyboard.type(SCAN + "\n")
    page.locator("#scan-result").wait_for()
    w.screen("buoc-1-da-quet")

    def next_step(label: str) -> None:
        with page.expect_navigation():
            w.tap(page.get_by_role("button", name="Tiếp tục"))
        w.screen(label)

    next_step("buoc-2-lien-he")
    w.type_into('input[name="a.phone"]', "0905123456")
    next_step("buoc-3-to-khai")
    w.type_into('input[name="f.noi_sinh"]', "Gia Lai")
    w.type_into('input[name="f.dan_toc"]', "Kinh")
    w.type_into('input[name="f.quoc_tich"]', "Việt Nam")
    next_step("buoc-4-thuong-tru")  # filled by the scan: only read it
    next_step("buoc-5-loai-phieu")
    w.choose('select[name="f.loai_phieu"]', "Phiếu số 1")
    w.type_into('input[name="f.so_luong_phieu"]', "1")
    w.choose('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
    next_step("buoc-6-muc-dich")
    w.type_into('textarea[name="f.muc_dich"]', "Bổ sung hồ sơ xin việc")
    next_step("buoc-7-giay-to")
    pdf, photo = tmp / "to-khai.pdf", tmp / "cccd.jpg"
    for i, path in ((0, pdf), (1, photo)):
        item = page.locator(f'li.doc[data-doc="{i}"]')
        w.taps += 2  # "Chọn tệp", then the file
        item.locator("input[type=file]").first.set_input_files(str(path))
        item.locator("img.thumb").wait_for(state="visible")
    w.screen("buoc-7-da-tai")
    next_step("buoc-8-kiem-tra")
    w.tap(page.get_by_role("button", name="Nộp hồ sơ"))
    page.wait_for_url("**/kiosk/file/done/*")
    w.screen("giay-hen")
    code = page.inner_text(".dossier-code").strip()
    ctx.close()
    w.steps.append(code)
    return w


def phone(browser: Any, base: str, code: str, shots: bool) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    page = ctx.new_page()
    page.goto(f"{base}/d/{code}")
    if shots:
        save(page, "phone-01-ma-ho-so")
    page.fill("#verify", "1234")
    with page.expect_navigation():
        page.get_by_role("button", name="Xem tình trạng").tap()
    if shots:
        save(page, "phone-02-tinh-trang")
    wide = page.evaluate("document.documentElement.scrollWidth")
    print(f"phone 360×740: /d/<code> is {wide} px wide")
    ctx.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-shots", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    if not args.no_shots:  # the screens of this run only
        for old in SHOTS.glob("*.png"):
            old.unlink()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp / "instance")}
        env.pop("DATABASE_URL", None)
        subprocess.run([KIOSK, "demo"], env=env, check=True, capture_output=True)
        port = free_port()
        log = (tmp / "server.log").open("w")
        server = subprocess.Popen(
            [KIOSK, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            sample_pdf(tmp / "to-khai.pdf")
            sample_photo(tmp / "cccd.jpg")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                code = ""
                for name, size in SIZES.items():
                    started = time.perf_counter()
                    w = walk(browser, base, name, size, tmp, not args.no_shots)
                    wall = time.perf_counter() - started
                    code = w.steps.pop()
                    print(
                        f"{name} {size[0]}×{size[1]}: {w.taps} taps, {w.typed} characters typed, "
                        f"{w.screens} screens, server {sum(w.server_ms) / 1000:.2f} s over "
                        f"{len(w.server_ms)} requests (slowest {max(w.server_ms):.0f} ms), "
                        f"walk {wall:.1f} s; dossier {code}"
                    )
                    print("  screens: " + " → ".join(w.steps))
                    slowest = sorted(w.slow, reverse=True)[:3]
                    print("  slowest: " + ", ".join(f"{p} {ms:.0f} ms" for ms, p in slowest))
                phone(browser, base, code, not args.no_shots)
                browser.close()
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(15)
            log.close()


if __name__ == "__main__":
    main()
