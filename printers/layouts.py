"""The print-outs, drawn for a given width in dots: queue ticket, dossier receipt, fee slip,
apology notice and an agent's authorization form (also as an A4 PDF). A layout is a `Job`:
raster blocks and QR codes in order, which `encode` turns into ESC/POS and `Job.preview()` into
one PNG-ready image.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .fonts import font
from .words import vnd_in_words

WIDTHS = (384, 576)


@dataclass(frozen=True)
class Raster:
    """A block drawn as an image, 1 bit per dot, as wide as the paper."""

    image: Image.Image


@dataclass(frozen=True)
class QR:
    """A QR code: native on printers that support it, raster otherwise."""

    data: str
    module: int  # dots per module when drawn as raster


@dataclass
class Job:
    """What one print-out is made of, top to bottom."""

    width: int
    parts: list[Raster | QR] = field(default_factory=list)

    def preview(self) -> Image.Image:
        """The whole print-out as one image, QR codes drawn in place."""
        images = [p.image if isinstance(p, Raster) else qr_image(p, self.width) for p in self.parts]
        out = Image.new("1", (self.width, sum(i.height for i in images)), 1)
        y = 0
        for im in images:
            out.paste(im, (0, y))
            y += im.height
        return out


def qr_image(code: QR, width: int, align: str = "center") -> Image.Image:
    """`code` drawn as raster on a strip as wide as the paper, placed left, center or right."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=code.module, border=2
    )
    qr.add_data(code.data)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").get_image().convert("1")
    if img.width > width:
        img = img.resize((width, width), Image.Resampling.NEAREST)
    strip = Image.new("1", (width, img.height), 1)
    x = {"left": 0, "center": (width - img.width) // 2, "right": width - img.width}[align]
    strip.paste(img, (x, 0))
    return strip


# --------------------------------------------------------------------------- drawing


class _Canvas:
    """Stacks lines of text into one raster block, wrapping to the paper's width."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.margin = max(4, width // 48)
        self.base = max(16, width // 24)  # 16 dots at 58 mm, 24 at 80 mm
        self.lines: list[tuple[str, ImageFont.FreeTypeFont, str, int]] = []

    def _wrap(self, text: str, f: ImageFont.FreeTypeFont) -> list[str]:
        room = self.width - 2 * self.margin
        out: list[str] = []
        for para in unicodedata.normalize("NFC", text).split("\n"):
            line = ""
            for word in para.split():
                candidate = f"{line} {word}".strip()
                if f.getlength(candidate) <= room:
                    line = candidate
                    continue
                if line:
                    out.append(line)
                # A word longer than the line (a URL, a long code) is cut by letters.
                while f.getlength(word) > room:
                    cut = len(word)
                    while cut > 1 and f.getlength(word[:cut]) > room:
                        cut -= 1
                    out.append(word[:cut])
                    word = word[cut:]
                line = word
            out.append(line)
        return out

    def text(self, text: str, *, scale: float = 1.0, bold: bool = False, align: str = "left",
             gap: int = 0) -> None:  # fmt: skip
        f = font(int(self.base * scale), bold)
        for line in self._wrap(text, f):
            self.lines.append((line, f, align, gap))

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        """`label: value`, the value wrapping under itself when long."""
        self.text(f"{label}: {value}", bold=bold)

    def columns(self, left: str, right: str, *, scale: float = 1.0, bold: bool = False) -> None:
        """Two short texts side by side, each centered in its half (signature blocks)."""
        self.lines.append((f"{left}\t{right}", font(int(self.base * scale), bold), "columns", 0))

    def rule(self) -> None:
        self.lines.append(("—", font(self.base), "rule", 0))

    def space(self, dots: int) -> None:
        self.lines.append(("", font(self.base), "space", dots))

    def render(self) -> Raster:
        heights: list[int] = []
        for _line, f, align, gap in self.lines:
            if align == "space":
                heights.append(gap)
            elif align == "rule":
                heights.append(self.base // 2 + 2)
            else:
                ascent, descent = f.getmetrics()
                heights.append(int(ascent + descent + max(2, f.size // 6) + gap))
        img = Image.new("1", (self.width, max(1, sum(heights))), 1)
        draw = ImageDraw.Draw(img)
        y = 0
        for (line, f, align, _gap), h in zip(self.lines, heights, strict=True):
            if align == "rule":
                draw.line(
                    (self.margin, y + h // 2, self.width - self.margin, y + h // 2), fill=0, width=2
                )
            elif align == "columns":
                for i, part in enumerate(line.split("\t")):
                    half = self.width / 2
                    draw.text((i * half + (half - f.getlength(part)) / 2, y), part, font=f, fill=0)
            elif align != "space":
                w = f.getlength(line)
                x = {"center": (self.width - w) / 2, "right": self.width - self.margin - w}.get(
                    align, self.margin
                )
                draw.text((x, y), line, font=f, fill=0)
            y += h
        return Raster(img)


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M %d/%m/%Y")


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def _check_width(width: int) -> None:
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {WIDTHS} dots, not {width}")


def _qr_module(width: int) -> int:
    return 6 if width >= 576 else 4


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class TicketData:
    """A queue ticket (*phiếu số thứ tự*)."""

    site_name: str
    service: str
    number: str
    people_ahead: int
    issued_at: dt.datetime
    url: str
    estimated_wait_minutes: int | None = None
    priority: bool = False


@dataclass(frozen=True)
class ReceiptData:
    """*Giấy tiếp nhận hồ sơ và hẹn trả kết quả* (form 01)."""

    site_name: str
    dossier_code: str
    procedure: str
    applicant: str
    documents: Sequence[str]
    received_at: dt.datetime
    due_date: dt.date
    status_url: str
    officer: str = ""
    fee_vnd: int = 0
    #: Filed online and not yet accepted: the date is the one it would be due if accepted now.
    provisional: bool = False


@dataclass(frozen=True)
class FeeData:
    """A fee slip with its VietQR payload."""

    site_name: str
    dossier_code: str
    procedure: str
    payer: str
    amount_vnd: int
    vietqr_payload: str
    bank_name: str
    account_number: str
    account_name: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class ApologyData:
    """*Phiếu xin lỗi và hẹn lại ngày trả kết quả* (form 04)."""

    site_name: str
    dossier_code: str
    procedure: str
    applicant: str
    original_due: dt.date
    new_due: dt.date
    reason: str
    issued_at: dt.datetime
    officer: str = ""
    status_url: str = ""


# --------------------------------------------------------------------------- layouts


def _header(c: _Canvas, site_name: str, title: str) -> None:
    c.text(site_name, bold=True, align="center")
    c.rule()
    c.text(title, scale=1.15, bold=True, align="center", gap=4)


def ticket(data: TicketData, width: int = 576) -> Job:
    """The queue ticket: service, big number, people ahead, time, and the QR of its page."""
    _check_width(width)
    c = _Canvas(width)
    c.text(data.site_name, bold=True, align="center")
    c.rule()
    c.text(data.service, scale=1.1, align="center")
    c.text("SỐ THỨ TỰ CỦA ÔNG/BÀ", scale=0.8, align="center")
    c.text(data.number, scale=4.2, bold=True, align="center")
    if data.priority:
        c.text("ƯU TIÊN", scale=1.2, bold=True, align="center")
    c.text(f"Số người đang chờ trước: {data.people_ahead}", align="center")
    if data.estimated_wait_minutes is not None:
        c.text(f"Thời gian chờ dự kiến: khoảng {data.estimated_wait_minutes} phút", align="center")
    c.text(f"Lấy số lúc {_when(data.issued_at)}", scale=0.85, align="center")
    c.space(c.base // 2)
    top = c.render()
    foot = _Canvas(width)
    foot.text("Quét mã để theo dõi lượt của mình trên điện thoại", scale=0.8, align="center")
    foot.text("Xin vui lòng chờ đến lượt. Cảm ơn ông/bà!", scale=0.8, align="center")
    foot.space(c.base)
    return Job(width, [top, QR(data.url, _qr_module(width)), foot.render()])


def receipt(data: ReceiptData, width: int = 576) -> Job:
    """The receipt with the appointment for the result."""
    _check_width(width)
    c = _Canvas(width)
    _header(c, data.site_name, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    c.pair("Mã hồ sơ", data.dossier_code, bold=True)
    c.pair("Thủ tục", data.procedure)
    c.pair("Người nộp", data.applicant)
    c.pair("Nhận lúc", _when(data.received_at))
    c.text("Giấy tờ đã nhận:")
    for i, doc in enumerate(data.documents, start=1):
        c.text(f"  {i}. {doc}")
    if data.fee_vnd:
        c.pair("Phí, lệ phí", _vnd(data.fee_vnd))
    c.rule()
    c.text("HẸN TRẢ KẾT QUẢ" + (" (DỰ KIẾN)" if data.provisional else ""), bold=True,
           align="center")  # fmt: skip
    c.text(data.due_date.strftime("%d/%m/%Y"), scale=1.8, bold=True, align="center")
    if data.provisional:
        c.text(
            "Hồ sơ nộp trực tuyến: ngày hẹn chính thức tính từ khi cán bộ tiếp nhận hồ sơ.",
            scale=0.8,
            align="center",
        )
    if data.officer:
        c.pair("Cán bộ tiếp nhận", data.officer)
    c.space(c.base // 2)
    foot = _Canvas(width)
    foot.text("Quét mã để tra cứu tình trạng hồ sơ", scale=0.8, align="center")
    foot.space(c.base)
    return Job(width, [c.render(), QR(data.status_url, _qr_module(width)), foot.render()])


def fee_slip(data: FeeData, width: int = 576) -> Job:
    """The fee slip: amount in figures and words, and the VietQR code to pay it."""
    _check_width(width)
    c = _Canvas(width)
    _header(c, data.site_name, "PHIẾU THU PHÍ, LỆ PHÍ")
    c.pair("Mã hồ sơ", data.dossier_code, bold=True)
    c.pair("Thủ tục", data.procedure)
    c.pair("Người nộp", data.payer)
    c.text(_vnd(data.amount_vnd), scale=2.0, bold=True, align="center")
    c.text(f"Bằng chữ: {vnd_in_words(data.amount_vnd)}.")
    c.rule()
    c.text("Quét mã VietQR bằng ứng dụng ngân hàng để nộp", align="center")
    c.space(c.base // 2)
    foot = _Canvas(width)
    foot.pair("Ngân hàng", data.bank_name)
    foot.pair("Số tài khoản", data.account_number)
    foot.pair("Chủ tài khoản", data.account_name)
    foot.text(f"Lập lúc {_when(data.issued_at)}", scale=0.85)
    foot.space(c.base)
    return Job(width, [c.render(), QR(data.vietqr_payload, _qr_module(width)), foot.render()])


def apology(data: ApologyData, width: int = 576) -> Job:
    """The apology with a new date for the result."""
    _check_width(width)
    c = _Canvas(width)
    _header(c, data.site_name, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
    c.pair("Kính gửi", data.applicant, bold=True)
    c.pair("Mã hồ sơ", data.dossier_code)
    c.pair("Thủ tục", data.procedure)
    c.pair("Ngày hẹn trước đây", data.original_due.strftime("%d/%m/%Y"))
    c.pair("Lý do chậm", data.reason)
    c.text(
        "Cơ quan chúng tôi thành thật xin lỗi ông/bà vì hồ sơ chưa giải quyết được đúng hẹn "
        "và xin hẹn lại ngày trả kết quả:"
    )
    c.text(data.new_due.strftime("%d/%m/%Y"), scale=1.8, bold=True, align="center")
    if data.officer:
        c.pair("Cán bộ", data.officer)
    c.text(f"Lập lúc {_when(data.issued_at)}", scale=0.85)
    c.space(c.base)
    if not data.status_url:
        return Job(width, [c.render()])
    foot = _Canvas(width)
    foot.text("Quét mã để tra cứu tình trạng hồ sơ", scale=0.8, align="center")
    foot.space(c.base)
    return Job(width, [c.render(), QR(data.status_url, _qr_module(width)), foot.render()])


#: Every Vietnamese letter, each vowel with its five tones and without.
VIETNAMESE_LETTERS = (
    "aàảãáạ ăằẳẵắặ âầẩẫấậ b c d đ eèẻẽéẹ êềểễếệ g h iìỉĩíị k l m n "
    "oòỏõóọ ôồổỗốộ ơờởỡớợ p q r s t uùủũúụ ưừửữứự v x yỳỷỹýỵ"
)


def test_page(width: int = 576, profile: str = "") -> Job:
    """A page that shows whether the printer prints Vietnamese: every letter, both cases."""
    _check_width(width)
    c = _Canvas(width)
    c.text("TRANG IN THỬ", scale=1.3, bold=True, align="center")
    if profile:
        c.text(f"Cấu hình máy in: {profile} · {width} điểm", scale=0.85, align="center")
    c.rule()
    c.text("Chữ thường:", bold=True)
    c.text(VIETNAMESE_LETTERS)
    c.text("Chữ hoa:", bold=True)
    c.text(VIETNAMESE_LETTERS.upper())
    c.text("Đậm: Cộng hòa xã hội chủ nghĩa Việt Nam", bold=True)
    c.text("Độc lập - Tự do - Hạnh phúc")
    c.space(c.base)
    return Job(width, [c.render(), QR("Trang in thử tiếng Việt: đ Đ ữ Ữ ệ Ệ", _qr_module(width))])


@dataclass(frozen=True)
class AuthorizationData:
    """*Giấy ủy quyền*: a citizen authorizes a bank branch, as public service agent, to file one
    procedure for them, and consents to the use of their personal data for it (Decree
    13/2023). Printed for signing; the signed paper is scanned back and kept with the dossier."""

    site_name: str
    branch_name: str
    agent: str
    citizen: str
    cccd: str
    address: str
    phone: str
    procedure: str
    procedure_code: str
    reference: str
    issued_at: dt.datetime
    birth_date: dt.date | None = None


def _authorization_text(c: _Canvas, d: AuthorizationData) -> None:
    c.text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center")
    c.text("Độc lập - Tự do - Hạnh phúc", align="center")
    c.rule()
    c.text("GIẤY ỦY QUYỀN NỘP HỒ SƠ QUA ĐẠI LÝ DỊCH VỤ CÔNG", scale=1.15, bold=True,
           align="center", gap=4)  # fmt: skip
    c.pair("Kính gửi", d.site_name)
    c.text("Người ủy quyền:", bold=True)
    c.pair("Họ và tên", d.citizen)
    c.pair("Số CCCD", d.cccd)
    if d.birth_date:
        c.pair("Ngày sinh", d.birth_date.strftime("%d/%m/%Y"))
    if d.address:
        c.pair("Nơi cư trú", d.address)
    if d.phone:
        c.pair("Điện thoại", d.phone)
    c.text("Người được ủy quyền:", bold=True)
    c.pair("Đại lý dịch vụ công", d.branch_name)
    c.pair("Nhân viên thực hiện", d.agent)
    c.text("Nội dung ủy quyền:", bold=True)
    c.text(
        "Thay mặt tôi nộp hồ sơ trực tuyến thủ tục "
        f"\u201c{d.procedure}\u201d (mã {d.procedure_code}), nộp phí, lệ phí và nhận kết quả."
    )
    c.text(
        "Tôi đồng ý cho đại lý thu thập và xử lý các thông tin cá nhân nêu trên và trong hồ sơ, "
        "chỉ để thực hiện thủ tục này, theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân."
    )
    c.pair("Mã giấy ủy quyền", d.reference)
    c.text(f"Lập lúc {_when(d.issued_at)}", scale=0.85)
    c.space(c.base)
    c.columns("NGƯỜI ỦY QUYỀN", "ĐẠI LÝ", bold=True)
    c.columns("(ký, ghi rõ họ tên)", "(ký, ghi rõ họ tên)", scale=0.8)
    c.space(c.base * 4)


def authorization(data: AuthorizationData, width: int = 576) -> Job:
    """The authorization on 80 mm (or 58 mm) paper, with a QR code of its reference."""
    _check_width(width)
    c = _Canvas(width)
    _authorization_text(c, data)
    return Job(width, [c.render(), QR(data.reference, _qr_module(width))])


#: A4 at 150 dots per inch.
A4 = (1240, 1754)


def authorization_pdf(data: AuthorizationData) -> bytes:
    """The authorization as an A4 PDF for the branch's office printer (one page; a long text
    shrinks to fit), with a QR code of its reference in the corner."""
    import io

    c = _Canvas(A4[0])
    c.margin, c.base = 118, 30  # 2 cm margins, 14-point type
    _authorization_text(c, data)
    body = c.render().image
    if body.height > A4[1] - 2 * c.margin:
        scale = (A4[1] - 2 * c.margin) / body.height
        body = body.resize((int(body.width * scale), int(body.height * scale)))
    page = Image.new("1", A4, 1)
    page.paste(body, ((A4[0] - body.width) // 2, c.margin))
    code = qr_image(QR(data.reference, 4), 200, "right")
    page.paste(code, (A4[0] - 200 - c.margin // 2, A4[1] - code.height - c.margin // 2))
    buf = io.BytesIO()
    page.convert("L").save(buf, "PDF", resolution=150)
    return buf.getvalue()
