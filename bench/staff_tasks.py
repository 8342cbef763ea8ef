"""Clicks and fields typed by new staff, from signing in to done, for each role's task
(issue 19), counted while real Chromium does the task on a running server (`kiosk demo`,
`kiosk serve`).

    .venv/bin/python bench/staff_tasks.py                    # this checkout
    .venv/bin/python bench/staff_tasks.py --tree /tmp/old    # another checkout (e.g. main)

Counted: a click (a link, a button, a check box, a choice in a list, a file chosen, Enter to
send), a field typed by hand, and a card scanned (the scanner types the card's QR code; the
person holds the card under it). A step the screens do not offer is named, not counted.

Tasks:
- agent: sign in from /agent/, file the judicial record for a citizen whose card is on the
  desk, with the authorization, the reduced fee (a student), cash; later open the result and
  hand it back with the receiver's ID checked;
- counter officer: sign in, call the next number, receive the judicial record with the card
  scanned and the papers on paper, go back to the counter; later find the dossier by the
  citizen's name and hand the result back;
- processing officer: sign in, open the dossier, move it to processing, resolve it with the
  digitized result.

`BEFORE` holds the figures of the code before issue 19 (main at 1c636f3, 2026-12-03), run with
`--tree` on a checkout of that commit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
KIOSK = str(Path(sys.executable).with_name("kiosk"))
SCAN = (
    "064185001234|123456789|Nguyễn Thị Hồng Nhung|12031985|Nữ|Tổ 3, Phường Quy Nhơn, Gia Lai"
    "|01012022"
)

#: The figures of main at 1c636f3 (2026-12-03), before issue 19: (clicks, fields, scans,
#: what the screens did not offer).
BEFORE: dict[str, tuple[int, int, int, str]] = {
    "đại lý (agent)": (
        18, 13, 0,
        "đăng nhập từ /agent/ (chỉ hiện khi mở một thủ tục); mức phí giảm 100.000 đ (thu "
        "200.000 đ); mở, in kết quả để trả",
    ),
    "cán bộ một cửa (counter)": (
        20, 9, 1,
        "giấy đã nhận bản giấy vẫn bị đòi trả lời đề nghị dùng lại bản số hóa; về quầy từ hồ sơ "
        "vừa tiếp nhận (qua menu Quầy); tìm hồ sơ theo tên, mã, CCCD (dò danh sách); trả kết "
        "quả: cán bộ một cửa không có nút nào trên trang hồ sơ",
    ),
    "cán bộ xử lý (processor)": (6, 2, 0, ""),
}  # fmt: skip


@dataclass
class Tally:
    """What one person did on the screens."""

    clicks: int = 0
    fields: int = 0
    scans: int = 0
    missing: list[str] = field(default_factory=list)


class Person:
    """A page whose clicks and typing are counted."""

    def __init__(self, page: Any) -> None:
        self.page, self.tally = page, Tally()

    def click(self, target: Any) -> None:
        (self.page.locator(target) if isinstance(target, str) else target).first.click()
        self.tally.clicks += 1

    def type(self, selector: str, value: str) -> None:
        self.page.fill(selector, value)
        self.tally.fields += 1

    def choose(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)
        self.tally.clicks += 1

    def file(self, target: Any, path: Path) -> None:
        (self.page.locator(target) if isinstance(target, str) else target).first.set_input_files(
            str(path)
        )
        self.tally.clicks += 1

    def enter(self, selector: str) -> None:
        self.page.locator(selector).press("Enter")
        self.tally.clicks += 1

    def scan(self, selector: str) -> None:
        self.page.wait_for_function("() => window.htmx && document.readyState === 'complete'")
        self.page.fill(selector, SCAN)
        self.page.locator(selector).press("Enter")
        self.page.locator("#scan-result").wait_for()
        self.tally.scans += 1

    def has(self, selector: str) -> bool:
        return bool(self.page.locator(selector).count())

    def missing(self, what: str) -> None:
        self.tally.missing.append(what)


def _sign_in(p: Person, name: str, password: str) -> None:
    p.type("input[name=username]", name)
    p.type("input[name=password]", password)
    p.click("button[type=submit]")
    p.page.wait_for_load_state()


def _address(p: Person, prefix: str) -> None:
    p.choose(f'select[name="{prefix}.province"]', "52")
    p.page.wait_for_selector(
        f'select[name="{prefix}.commune_code"] option[value="21583"]', state="attached"
    )
    p.choose(f'select[name="{prefix}.commune_code"]', "21583")


def _judicial_form(p: Person) -> None:
    p.type('input[name="f.noi_sinh"]', "Gia Lai")
    p.type('input[name="f.dan_toc"]', "Kinh")
    p.type('input[name="f.quoc_tich"]', "Việt Nam")
    _address(p, "f.noi_thuong_tru")
    p.choose('select[name="f.loai_phieu"]', "Phiếu số 1")
    p.type('input[name="f.so_luong_phieu"]', "1")
    p.choose('select[name="f.xac_nhan_cam_dam_nhiem"]', "Không")
    p.type('textarea[name="f.muc_dich"]', "Bổ sung hồ sơ xin việc")


def _applicant(p: Person) -> None:
    """The citizen's card is on the desk: scanned where the screen has the box, else typed."""
    if p.has("#scan"):
        p.scan("#scan")
    else:
        p.type('input[name="a.full_name"]', "Nguyễn Thị Hồng Nhung")
        p.type('input[name="a.cccd"]', "064185001234")
        p.type('input[name="a.birth_date"]', "1985-03-12")
        p.choose('select[name="a.gender"]', "Nữ")
    p.type('input[name="a.phone"]', "0905123456")


def _upload(p: Person, index: str, path: Path) -> None:
    item = p.page.locator(f'li.doc[data-doc="{index}"]')
    p.file(item.locator("input[type=file]"), path)
    item.locator(".upload-status", has_text="Đã tải lên.").wait_for()


def agent_files(p: Person, base: str, files: dict[str, Path]) -> str:
    page = p.page
    page.goto(base + "/agent/")
    if p.has('[data-testid="agent-sign-in"] a'):
        p.click('[data-testid="agent-sign-in"] a')
        _sign_in(p, "daily", "daily-demo-2026")
        p.click(page.get_by_role("link", name="Thủ tục").first)
    else:
        p.missing("đăng nhập từ /agent/ (chỉ hiện khi mở một thủ tục)")
    p.type("#q", "ly lich tu phap")
    p.enter("#q")
    p.click(page.get_by_text("Cấp phiếu lý lịch tư pháp").first)
    page.wait_for_load_state()
    if "/office/login" in page.url:
        _sign_in(p, "daily", "daily-demo-2026")
    page.wait_for_url("**/agent/file/3.000333")
    _applicant(p)
    _address(p, "a")
    with page.context.expect_event("page") as opened:
        p.click(page.get_by_role("button", name="In giấy ủy quyền (A4, PDF)"))
    opened.value.close()
    _upload(p, "consent", files["signed"])
    _judicial_form(p)
    _upload(p, "0", files["pdf"])
    _upload(p, "1", files["photo"])
    if p.has('input[name="fee_rule"][value="1"]'):
        p.click('input[name="fee_rule"][value="1"]')
    else:
        p.missing("mức phí giảm 100.000 đ (thu 200.000 đ)")
    p.click(page.get_by_role("button", name="Nộp hồ sơ và in giấy tiếp nhận"))
    page.wait_for_url("**/agent/dossiers/*")
    code = str(page.inner_text('[data-testid="dossier-code"]'))
    p.click(page.get_by_role("button", name="Thu tiền mặt và in biên nhận"))
    page.locator('[data-testid="fee-paid"]').wait_for()
    return code


def agent_hands_back(p: Person, code: str) -> None:
    page = p.page
    p.click(page.get_by_role("link", name="Hồ sơ chi nhánh").first)
    if p.has("text=Mở, trả kết quả"):
        p.click(page.get_by_role("link", name="Mở, trả kết quả").first)
        with page.context.expect_event("page") as opened:
            p.click('[data-testid="open-result"]')
        opened.value.close()
        p.type('input[name="id_checked"]', "064185001234")
        p.click(page.get_by_role("button", name="Trả kết quả"))
    else:
        p.missing("mở, in kết quả để trả")
        row = page.locator("tr", has_text=code)
        row.locator('input[name="id_checked"]').fill("064185001234")
        p.tally.fields += 1
        p.click(row.get_by_role("button", name="Trả kết quả"))
    page.wait_for_load_state()


def officer_receives(p: Person, base: str, number: str) -> str:
    page = p.page
    page.goto(base + "/office/")
    _sign_in(p, "canbo", "canbo-demo-2026")
    p.click(page.locator("a.tile").first)
    page.wait_for_selector("#panel")
    while page.inner_text('[data-testid="current-number"]') != number:
        p.click('[data-key="n"]')
        page.wait_for_timeout(300)
    p.click('[data-testid="receive-dossier"]')
    p.type("input[type=search][name=q]", "ly lich tu phap")
    p.enter("input[type=search][name=q]")
    p.click(page.get_by_text("Cấp phiếu lý lịch tư pháp").first)
    page.locator('[data-testid="ticket-number"]').wait_for()
    _applicant(p)
    _judicial_form(p)
    for box in page.locator("label.paper input[type=checkbox]").all():
        box.check()
        p.tally.clicks += 1
    p.click(page.get_by_role("button", name="Tiếp nhận và in giấy hẹn"))
    page.wait_for_load_state()
    if "/office/dossiers/" not in page.url and p.has(".reuse input[type=checkbox]"):
        # The papers ticked as received on paper were refused until the reuse of the earlier
        # dossier's digitized papers was answered.
        p.missing("giấy đã nhận bản giấy vẫn bị đòi trả lời đề nghị dùng lại bản số hóa")
        for box in page.locator(".reuse input[type=checkbox]").all():
            box.check()
            p.tally.clicks += 1
        p.click(page.get_by_role("button", name="Tiếp nhận và in giấy hẹn"))
    page.wait_for_url("**/office/dossiers/*")
    code = str(page.inner_text('[data-testid="dossier-code"]'))
    if p.has('[data-testid="back-to-counter"]'):
        p.click('[data-testid="back-to-counter"]')
    else:
        p.missing("về quầy từ hồ sơ vừa tiếp nhận (qua menu Quầy)")
        p.click(page.get_by_role("link", name="Quầy").first)
        p.click(page.locator("a.tile").first)
    page.wait_for_selector("#panel")
    return code


def officer_hands_back(p: Person, code: str) -> None:
    page = p.page
    p.click(page.get_by_role("link", name="Hồ sơ", exact=True))
    if p.has("input[name=q]"):
        p.type("input[name=q]", "Hồng Nhung")
        p.enter("input[name=q]")
    else:
        p.missing("tìm hồ sơ theo tên, mã, CCCD (dò danh sách)")
    p.click(page.get_by_role("link", name=code))
    page.wait_for_url(f"**/office/dossiers/{code}")
    if p.has('input[name="id_checked"]'):
        p.type('input[name="id_checked"]', "064185001234")
        p.click(page.get_by_role("button", name="Trả kết quả"))
    elif p.has("button[data-move=returned]"):
        p.missing("ghi người nhận và giấy tờ đã kiểm tra (một cú bấm “Đã trả kết quả”)")
        p.click("button[data-move=returned]")
    else:
        p.missing("trả kết quả: cán bộ một cửa không có nút nào trên trang hồ sơ")
    page.wait_for_load_state()


def processor_resolves(p: Person, base: str, code: str, result: Path, accept: bool) -> None:
    page = p.page
    page.goto(base + "/office/")
    if p.has("input[name=username]"):
        _sign_in(p, "xuly", "xuly-demo-2026")
    else:
        p.click(page.get_by_role("link", name="Hồ sơ", exact=True))  # signed in earlier
    p.click(page.get_by_role("link", name=code))
    page.wait_for_url(f"**/office/dossiers/{code}")
    names = (("Tiếp nhận", "Đã tiếp nhận"),) if accept else ()
    for new, old in (*names, ("Chuyển xử lý", "Đang xử lý")):
        button = page.get_by_role("button", name=new, exact=True)
        p.click(button if button.count() else page.get_by_role("button", name=old, exact=True))
        page.wait_for_load_state()
    p.file("input[type=file][name=file]", result)
    new = page.get_by_role("button", name="Ghi nhận có kết quả")
    p.click(new if new.count() else page.get_by_role("button", name="Đã có kết quả"))
    page.wait_for_load_state()


def run(tree: Path) -> dict[str, Tally]:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.conftest import free_port, sample_image, sample_pdf

    work = Path(tempfile.mkdtemp(prefix="staff-tasks-"))
    files = {"pdf": work / "a.pdf", "photo": work / "b.jpg", "signed": work / "c.pdf",
             "result": work / "kq.pdf"}  # fmt: skip
    files["pdf"].write_bytes(sample_pdf(0.2))
    files["photo"].write_bytes(sample_image())
    files["signed"].write_bytes(sample_pdf())
    files["result"].write_bytes(sample_pdf())
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(work / "instance"),
           "PYTHONPATH": str(tree)}  # fmt: skip
    env.pop("DATABASE_URL", None)
    subprocess.run([KIOSK, "demo"], env=env, check=True, capture_output=True, cwd=tree)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (work / "server.log").open("w")
    server = subprocess.Popen([KIOSK, "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=log, stderr=log, cwd=tree)  # fmt: skip
    tallies: dict[str, Tally] = {}
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            ctx = [browser.new_context(viewport={"width": 1366, "height": 768}) for _ in range(4)]
            for c in ctx:
                c.set_default_timeout(15_000)
            agent, officer, proc = (Person(c.new_page()) for c in ctx[:3])
            code = agent_files(agent, base, files)
            processor_resolves(proc, base, code, files["result"], accept=True)
            agent_hands_back(agent, code)
            kiosk = ctx[3].new_page()
            kiosk.goto(base + "/kiosk/queue")
            kiosk.locator('button[value="HOTICH"]').click()
            kiosk.wait_for_selector('[data-testid="ticket-number"]')
            number = kiosk.inner_text('[data-testid="ticket-number"]')
            counter = officer_receives(officer, base, number)
            second = Person(proc.page.context.new_page())
            processor_resolves(second, base, counter, files["result"], accept=False)
            officer_hands_back(officer, counter)
            tallies = {"đại lý (agent)": agent.tally, "cán bộ một cửa (counter)": officer.tally,
                       "cán bộ xử lý (processor)": proc.tally}  # fmt: skip
            browser.close()
    finally:
        server.terminate()
        server.wait(15)
        log.close()
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to run")
    args = parser.parse_args()
    tallies = run(args.tree.resolve())
    print(f"{'task':32} {'clicks':>6} {'typed':>6} {'scans':>6}   not offered")
    for role, t in tallies.items():
        print(f"{role:32} {t.clicks:6} {t.fields:6} {t.scans:6}   {'; '.join(t.missing)}")
        if role in BEFORE:
            c, f, s, m = BEFORE[role]
            print(f"{'  before (1c636f3, 2026-12-03)':32} {c:6} {f:6} {s:6}   {m}")


if __name__ == "__main__":
    main()
