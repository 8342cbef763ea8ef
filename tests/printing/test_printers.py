"""printers/: exact bytes, read back into paper, QR codes read with zxing-cpp, transports."""

from __future__ import annotations

import datetime as dt
import struct
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from flask.testing import FlaskCliRunner
from PIL import Image

from printers import layouts, page
from printers.encode import FEED_AND_CUT, to_escpos
from printers.reader import UnreadableJob, read_escpos
from printers.samples import sample_job
from printers.transports import PrinterUnavailable, Status, open_transport
from printers.transports.base import decode_status
from printers.transports.policy import AddressPolicy, AddressRefused, parse_ports
from printers.words import vnd_in_words
from tests.builders import FakePrinter, free_port, ticket_bytes

NOW = dt.datetime(2026, 11, 22, 9, 41)
PROFILES = {576: "TM-T20II", 384: "POS-5890"}  # native QR / raster QR


def qr_texts(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (105, "Một trăm linh năm đồng"),
        (20000, "Hai mươi nghìn đồng"),
        (115000, "Một trăm mười lăm nghìn đồng"),
        (135000, "Một trăm ba mươi lăm nghìn đồng"),
        (1005000, "Một triệu không trăm linh năm nghìn đồng"),
        (
            1234567890,
            "Một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi đồng",
        ),
    ],
)
def test_amount_in_words(amount: int, words: str) -> None:
    assert vnd_in_words(amount) == words


def test_exact_bytes_of_a_small_job() -> None:
    black = Image.new("1", (384, 2), 1)
    black.paste(0, (0, 0, 384, 1))  # first row black, second white
    job = page.Job(384, [page.Raster(black)])
    expected = (
        b"\x1b@"  # ESC @ initialise
        + b"\x1dv0\x00" + struct.pack("<HH", 48, 2)  # GS v 0, 48 bytes x 2 rows
        + b"\xff" * 48 + b"\x00" * 48
        + FEED_AND_CUT
    )  # fmt: skip
    assert to_escpos(job, "POS-5890") == expected


def test_blank_stretches_are_fed_not_rastered() -> None:
    img = Image.new("1", (384, 40), 1)
    img.paste(0, (0, 0, 384, 1))
    img.paste(0, (0, 39, 384, 40))
    data = to_escpos(page.Job(384, [page.Raster(img)]), "POS-5890")
    assert b"\x1bJ\x26" in data  # 38 blank rows as ESC J 38
    assert read_escpos(data).image.tobytes() == img.tobytes()


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("kind", ["ticket", "receipt", "fee", "apology", "authorization"])
def test_each_layout_reads_back_as_printed(kind: str, width: int) -> None:
    job = sample_job(kind, width, "Trung tâm Phục vụ hành chính công tỉnh Gia Lai")
    data = to_escpos(job, PROFILES[width])
    back = read_escpos(data, width)
    assert data.startswith(b"\x1b@") and data.endswith(FEED_AND_CUT) and back.cuts == 1
    assert back.image.size == job.preview().size
    assert back.image.tobytes() == job.preview().tobytes()
    expected = [p.data for p in job.parts if isinstance(p, page.QR)]
    if PROFILES[width] == "TM-T20II":
        assert back.qr_payloads == expected  # GS ( k
    else:
        assert back.qr_payloads == [] and b"\x1d(k" not in data  # raster fallback
    assert sorted(qr_texts(back.image)) == sorted(expected)


def test_the_authorization_prints_as_an_a4_pdf_with_its_reference() -> None:
    import pypdfium2
    import zxingcpp
    from PIL import Image

    from printers.samples import sample_authorization

    data = sample_authorization("Trung tâm Phục vụ hành chính công tỉnh Gia Lai")
    pdf = pypdfium2.PdfDocument(layouts.authorization_pdf(data))
    try:
        assert len(pdf) == 1
        page = pdf[0]
        assert (round(page.get_width()), round(page.get_height())) == (595, 842)  # A4 in points
        image = page.render(scale=150 / 72).to_pil()
    finally:
        pdf.close()
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    assert found == [data.reference]
    ink = Image.Image.getbbox(image.convert("L").point(lambda v: 255 - v))
    assert ink is not None and ink[3] - ink[1] > 800  # the text fills most of the page


def test_ticket_qr_is_the_ticket_url_and_vietqr_payload_survives() -> None:
    url = "http://kiosk.test/t/Zx81_kq"
    job = layouts.ticket(layouts.TicketData("Trung tâm", "Hộ tịch", "B007", 0, NOW, url), 576)
    assert qr_texts(read_escpos(to_escpos(job)).image) == [url]
    fee = sample_job("fee", 384, "Trung tâm")
    payload = next(p.data for p in fee.parts if isinstance(p, page.QR))
    assert qr_texts(read_escpos(to_escpos(fee, "POS-5890")).image) == [payload]


def test_long_text_wraps_inside_the_paper() -> None:
    long_name = "Cấp giấy phép xây dựng " * 12 + "https://dichvucong.gov.vn/" + "x" * 120
    job = layouts.receipt(
        layouts.ReceiptData("Trung tâm", "000.00.01.H29-261122-0001", long_name, "Nguyễn Văn A",
                            ["Tờ khai"], NOW, NOW.date(), "http://k/hs/1"),
        384,
    )  # fmt: skip
    img = job.preview()
    assert img.width == 384
    margin = img.crop((384 - 4, 0, 384, img.height)).convert("L")
    assert margin.getextrema() == (255, 255), "ink in the right margin: text was clipped"


def test_text_is_nfc_normalized() -> None:
    composed = layouts.TicketData("Trung tâm", "Đăng ký thường trú", "A001", 1, NOW, "http://k/t/1")
    decomposed = layouts.TicketData(
        "Trung tâm",
        unicodedata.normalize("NFD", "Đăng ký thường trú"),
        "A001",
        1,
        NOW,
        "http://k/t/1",
    )
    a = layouts.ticket(composed, 576).preview().tobytes()
    b = layouts.ticket(decomposed, 576).preview().tobytes()
    assert a == b


def test_reader_refuses_what_it_does_not_know() -> None:
    with pytest.raises(UnreadableJob):
        read_escpos(b"\x1b@\x1bt\x10hello")
    with pytest.raises(UnreadableJob):
        read_escpos(b"\x1dv0\x00\x30\x00\x05\x00\xff")  # cut off inside the raster


def test_width_must_be_a_paper_width() -> None:
    with pytest.raises(ValueError):
        layouts.ticket(layouts.TicketData("T", "S", "A1", 0, NOW, "u"), 500)


# ------------------------------------------------------------------- transports


def test_urls_choose_transports() -> None:
    for url in ("tcp://10.0.0.5:9100", "usb://04b8:0e15", "serial:///dev/ttyUSB0?baudrate=115200",
                "file:///dev/usb/lp0", "cups://POS80", "virtual://instance/prints"):  # fmt: skip
        assert open_transport(url).scheme == url.split(":")[0]
    with pytest.raises(ValueError, match="không hợp lệ"):
        open_transport("lpt1://x")


@pytest.mark.parametrize(
    ("printer", "cause", "paper", "status"),
    [
        (0x16, 0x12, 0x12, Status.ONLINE),
        (0x1E, 0x12, 0x12, Status.OFFLINE),
        (0x1E, 0x16, 0x12, Status.COVER_OPEN),
        (0x1E, 0x32, 0x72, Status.PAPER_OUT),
        (None, None, None, Status.UNKNOWN),
    ],
)
def test_dle_eot_decoding(
    printer: int | None, cause: int | None, paper: int | None, status: Status
) -> None:
    assert decode_status(printer, cause, paper) == status


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    p = FakePrinter()
    yield p
    p.close()


def test_tcp_delivers_a_job_whole(printer: FakePrinter) -> None:
    data = ticket_bytes()
    open_transport(f"tcp://127.0.0.1:{printer.port}").send(data)
    time.sleep(0.1)
    assert printer.jobs == [data]


def test_tcp_reports_a_job_cut_off_midway(printer: FakePrinter) -> None:
    printer.mode = "drop"
    with pytest.raises(PrinterUnavailable):
        open_transport(f"tcp://127.0.0.1:{printer.port}").send(ticket_bytes())
    assert printer.jobs == []


def test_tcp_times_out_on_a_stalled_printer(printer: FakePrinter) -> None:
    printer.mode = "stall"
    started = time.monotonic()
    with pytest.raises(PrinterUnavailable):
        open_transport(f"tcp://127.0.0.1:{printer.port}?timeout=1").send(ticket_bytes())
    assert time.monotonic() - started < 3


def test_unplugged_then_plugged_back_prints_once_whole() -> None:
    port = free_port()
    transport = open_transport(f"tcp://127.0.0.1:{port}?timeout=1")
    data = ticket_bytes()
    assert transport.status() == Status.OFFLINE
    with pytest.raises(PrinterUnavailable):
        transport.send(data)
    back = FakePrinter(port)
    try:
        assert transport.status() == Status.ONLINE
        transport.send(data)
        time.sleep(0.1)
        assert back.jobs == [data]
    finally:
        back.close()


def test_tcp_status_from_dle_eot(printer: FakePrinter) -> None:
    t = open_transport(f"tcp://127.0.0.1:{printer.port}")
    assert t.status() == Status.ONLINE
    printer.status_bytes = {1: 0x1E, 2: 0x32, 4: 0x72}
    assert t.status() == Status.PAPER_OUT
    printer.status_bytes = {1: 0x1E, 2: 0x16, 4: 0x12}
    assert t.status() == Status.COVER_OPEN


def test_virtual_printer_writes_bytes_and_preview(tmp_path: Path) -> None:
    data = ticket_bytes()
    open_transport(f"virtual://{tmp_path}/prints").send(data)
    [bin_file] = (tmp_path / "prints").glob("*.bin")
    assert bin_file.read_bytes() == data
    with Image.open(bin_file.with_suffix(".png")) as png:
        assert png.width == 576 and qr_texts(png) == ["http://127.0.0.1:8000/t/8Hq2x9ZkT4"]


def test_file_transport_and_a_missing_device(tmp_path: Path) -> None:
    out = tmp_path / "lp0"
    open_transport(f"file://{out}").send(b"\x1b@")
    assert out.read_bytes() == b"\x1b@"
    with pytest.raises(PrinterUnavailable):
        open_transport(f"file://{tmp_path}/missing/dir/lp0").send(b"\x1b@")


# ------------------------------------------------------------------- command line


def test_cli_preview_and_test_page(runner: FlaskCliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ticket.png"
    result = runner.invoke(args=["printer", "preview", "ticket", "--width", "576", str(out)])
    assert result.exit_code == 0, result.output
    with Image.open(out) as img:
        assert img.width == 576 and qr_texts(img) == ["http://127.0.0.1:8000/t/8Hq2x9ZkT4"]

    result = runner.invoke(
        args=["printer", "test", f"virtual://{tmp_path}/v", "--profile", "POS-5890"]
    )
    assert result.exit_code == 0, result.output
    [png] = (tmp_path / "v").glob("*.png")
    with Image.open(png) as img:
        assert img.width == 384
    result = runner.invoke(args=["printer", "test", "tcp://127.0.0.1:9?timeout=1"])
    assert result.exit_code != 0 and "Không in được" in result.output


# --- which addresses a site allows ----------------------------------------------------------


@pytest.fixture
def policy(tmp_path: Path) -> AddressPolicy:
    (tmp_path / "instance").mkdir()
    (tmp_path / "spool").mkdir()
    return AddressPolicy(tmp_path / "instance", file_dirs=(tmp_path / "spool",))


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("file:///etc/passwd", "thiết bị máy in"),
        ("file:///dev/usb/../../etc/shadow", "thiết bị máy in"),
        ("file:///root/.ssh/authorized_keys", "KIOSK_PRINTER_FILE_DIRS"),
        ("serial:///etc/passwd", "cổng nối tiếp"),
        ("virtual:///etc", "chỉ được ghi trong thư mục"),
        ("virtual:///tmp/anywhere", "chỉ được ghi trong thư mục"),
        ("tcp://127.0.0.1:22", "cổng 22 không được phép"),
        ("tcp://10.0.0.5:6379", "9100-9109"),
        ("tcp://:9100", "phải có địa chỉ"),
        ("cups://-oraw", "hàng đợi CUPS"),
        ("usb://../x", "usb://VID:PID"),
    ],
)
def test_printer_addresses_outside_the_rules_are_refused(
    policy: AddressPolicy, url: str, rule: str
) -> None:
    with pytest.raises(AddressRefused, match=rule):
        policy.check(url)


def test_a_folder_escape_is_refused_however_it_is_written(
    policy: AddressPolicy, tmp_path: Path
) -> None:
    inside = policy.virtual_root
    with pytest.raises(AddressRefused):
        policy.check(f"virtual://{inside}/../outside")
    (inside / "link").symlink_to("/etc")
    with pytest.raises(AddressRefused):
        policy.check(f"virtual://{inside}/link")
    (tmp_path / "spool" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(AddressRefused):
        policy.check(f"file://{tmp_path}/spool/passwd")


@pytest.mark.parametrize(
    "url",
    [
        "file:///dev/usb/lp0",
        "file:///dev/ttyUSB0",
        "serial:///dev/ttyUSB0?baudrate=115200",
        "tcp://192.168.1.50:9100",
        "tcp://printer.local:9109",
        "tcp://192.168.1.50",
        "cups://EPSON_TM-T20II",
        "usb://04b8:0e15",
    ],
)
def test_printer_addresses_within_the_rules_are_allowed(policy: AddressPolicy, url: str) -> None:
    policy.check(url)


def test_folders_and_ports_the_site_lists_are_allowed(
    policy: AddressPolicy, tmp_path: Path
) -> None:
    policy.check(f"virtual://{policy.virtual_root}/prints")
    policy.check(f"file://{tmp_path}/spool/job.bin")
    wider = AddressPolicy(policy.virtual_root, tcp_ports=parse_ports("9100-9101, 9200"))
    wider.check("tcp://10.0.0.9:9200")
    with pytest.raises(AddressRefused, match="9100-9101, 9200"):
        wider.check("tcp://10.0.0.9:9102")
    with pytest.raises(ValueError):
        parse_ports("9100-80")


def test_the_authorization_pdf_is_text_the_citizens_name_can_be_found_and_copied() -> None:
    """Issue 19: the A4 authorization is real PDF text (DejaVu Sans embedded), not a picture:
    its words come back out of the PDF as they were written, Vietnamese marks and all."""
    import pypdfium2

    from printers.samples import sample_authorization

    data = sample_authorization("Trung tâm Phục vụ hành chính công tỉnh Gia Lai")
    pdf = pypdfium2.PdfDocument(layouts.authorization_pdf(data))
    try:
        page = pdf[0]
        words = page.get_textpage().get_text_range()
        fonts = {f for f in (pdf.get_page(0).get_objects()) if f.type == 1}
    finally:
        pdf.close()
    flat = " ".join(words.split())
    for expected in (data.citizen, data.cccd, data.reference, "GIẤY ỦY QUYỀN NỘP HỒ SƠ",
                     data.procedure.split()[0]):  # fmt: skip
        assert expected in flat, expected
    assert fonts  # text objects, not only an image
