"""The print-outs, drawn for a given width in dots: queue ticket, dossier receipt, fee slip,
cash receipt, apology notice and an agent's authorization form (also as an A4 PDF). Each is a
`page.Job` made with `page.Canvas` from its data (`printouts`, which names the function that
draws each kind).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .page import QR, Canvas, Job, Raster, check_width, qr_image, qr_module
from .printouts import ApologyData as ApologyData
from .printouts import AuthorizationData as AuthorizationData
from .printouts import CashData as CashData
from .printouts import FeeData as FeeData
from .printouts import ReceiptData as ReceiptData
from .printouts import TicketData as TicketData

if TYPE_CHECKING:
    from .pdf import PdfPage
from .words import format_vnd, vnd_in_words


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M %d/%m/%Y")


# --------------------------------------------------------------------------- layouts


def _header(c: Canvas, site_name: str, title: str) -> None:
    c.text(site_name, bold=True, align="center")
    c.rule()
    c.text(title, scale=1.15, bold=True, align="center", gap=4)


def ticket(data: TicketData, width: int = 576) -> Job:
    """The queue ticket: service, big number, people ahead, time, and the QR of its page."""
    check_width(width)
    c = Canvas(width)
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
    foot = Canvas(width)
    foot.text("Quét mã để theo dõi lượt của mình trên điện thoại", scale=0.8, align="center")
    foot.text("Xin vui lòng chờ đến lượt. Cảm ơn ông/bà!", scale=0.8, align="center")
    foot.space(c.base)
    return Job(width, [top, QR(data.url, qr_module(width)), foot.render()])


def receipt(data: ReceiptData, width: int = 576) -> Job:
    """The receipt with the appointment for the result."""
    check_width(width)
    c = Canvas(width)
    _header(c, data.site_name, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    c.pair("Mã hồ sơ", data.dossier_code, bold=True)
    c.pair("Thủ tục", data.procedure)
    c.pair("Người nộp", data.applicant)
    c.pair("Nộp lúc", _when(data.received_at))  # the words of the screen and the status page
    c.text("Giấy tờ đã nhận:")
    for i, doc in enumerate(data.documents, start=1):
        c.text(f"  {i}. {doc}")
    if data.fee_vnd:
        c.pair("Phí, lệ phí", format_vnd(data.fee_vnd))
    if data.fee_reason:
        c.pair("Mức phí giảm", data.fee_reason)
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
    if data.next_steps:
        c.text("TIẾP THEO", bold=True)
        for i, line in enumerate(data.next_steps, start=1):
            c.text(f"{i}. {line}", scale=0.8)
    else:
        c.text("Khi đến nhận kết quả, mang theo giấy này và thẻ căn cước.", scale=0.8)
    c.space(c.base // 2)
    foot = Canvas(width)
    foot.text("Quét mã để theo dõi hồ sơ trên điện thoại,", scale=0.8, align="center")
    foot.text("nhập 4 số cuối số CCCD hoặc số điện thoại.", scale=0.8, align="center")
    foot.space(c.base)
    return Job(width, [c.render(), QR(data.status_url, qr_module(width)), foot.render()])


def fee_slip(data: FeeData, width: int = 576) -> Job:
    """The fee slip: amount in figures and words, and the VietQR code to pay it."""
    check_width(width)
    c = Canvas(width)
    _header(c, data.site_name, "PHIẾU THU PHÍ, LỆ PHÍ")
    c.pair("Mã hồ sơ", data.dossier_code, bold=True)
    c.pair("Thủ tục", data.procedure)
    c.pair("Người nộp", data.payer)
    c.text(format_vnd(data.amount_vnd), scale=2.0, bold=True, align="center")
    c.text(f"Bằng chữ: {vnd_in_words(data.amount_vnd)}.")
    c.rule()
    c.text("Quét mã VietQR bằng ứng dụng ngân hàng để nộp", align="center")
    c.space(c.base // 2)
    foot = Canvas(width)
    foot.pair("Ngân hàng", data.bank_name)
    foot.pair("Số tài khoản", data.account_number)
    foot.pair("Chủ tài khoản", data.account_name)
    foot.text(f"Lập lúc {_when(data.issued_at)}", scale=0.85)
    foot.space(c.base)
    return Job(width, [c.render(), QR(data.vietqr_payload, qr_module(width)), foot.render()])


def cash_receipt(data: CashData, width: int = 576) -> Job:
    """The receipt for cash: who paid how much (figures and words) for which dossier, taken by
    whom and where, and a QR code to the dossier's status page."""
    check_width(width)
    c = Canvas(width)
    _header(c, data.site_name, "BIÊN NHẬN THU TIỀN PHÍ, LỆ PHÍ")
    if data.place:
        c.text(data.place, align="center")
    c.pair("Số biên nhận", data.reference, bold=True)
    c.pair("Mã hồ sơ", data.dossier_code)
    c.pair("Thủ tục", data.procedure)
    c.pair("Người nộp", data.payer)
    c.text(format_vnd(data.amount_vnd), scale=2.0, bold=True, align="center")
    c.text(f"Bằng chữ: {vnd_in_words(data.amount_vnd)}.")
    c.pair("Hình thức", "Tiền mặt")
    if data.fee_reason:
        c.pair("Mức phí giảm", data.fee_reason)
    c.pair("Thu lúc", _when(data.paid_at))
    c.pair("Người thu", data.collector)
    c.rule()
    c.text("Ông/bà giữ biên nhận này để đối chiếu khi nhận kết quả.", scale=0.8, align="center")
    c.space(c.base // 2)
    blocks: list[Raster | QR] = [c.render()]
    if data.status_url:
        foot = Canvas(width)
        foot.text("Quét mã để tra cứu tình trạng hồ sơ", scale=0.8, align="center")
        foot.space(c.base)
        blocks += [QR(data.status_url, qr_module(width)), foot.render()]
    return Job(width, blocks)


def apology(data: ApologyData, width: int = 576) -> Job:
    """The apology with a new date for the result."""
    check_width(width)
    c = Canvas(width)
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
    c.text("Khi đến nhận kết quả, mang theo giấy này và thẻ căn cước.", scale=0.8)
    c.space(c.base // 2)
    foot = Canvas(width)
    foot.text("Quét mã để theo dõi hồ sơ trên điện thoại,", scale=0.8, align="center")
    foot.text("nhập 4 số cuối số CCCD hoặc số điện thoại.", scale=0.8, align="center")
    foot.space(c.base)
    return Job(width, [c.render(), QR(data.status_url, qr_module(width)), foot.render()])


#: Every Vietnamese letter, each vowel with its five tones and without.
VIETNAMESE_LETTERS = (
    "aàảãáạ ăằẳẵắặ âầẩẫấậ b c d đ eèẻẽéẹ êềểễếệ g h iìỉĩíị k l m n "
    "oòỏõóọ ôồổỗốộ ơờởỡớợ p q r s t uùủũúụ ưừửữứự v x yỳỷỹýỵ"
)


def test_page(width: int = 576, profile: str = "") -> Job:
    """A page that shows whether the printer prints Vietnamese: every letter, both cases."""
    check_width(width)
    c = Canvas(width)
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
    return Job(width, [c.render(), QR("Trang in thử tiếng Việt: đ Đ ữ Ữ ệ Ệ", qr_module(width))])


def _authorization_text(c: Canvas | PdfPage, d: AuthorizationData) -> None:
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
    check_width(width)
    c = Canvas(width)
    _authorization_text(c, data)
    return Job(width, [c.render(), QR(data.reference, qr_module(width))])


def authorization_pdf(data: AuthorizationData) -> bytes:
    """The authorization as an A4 PDF for the branch's office printer: real text in DejaVu
    Sans (the citizen's name can be found, copied and read aloud), one page, with a QR code of
    its reference in the corner."""
    from .pdf import PdfPage

    page = PdfPage(f"Giấy ủy quyền {data.reference}")
    _authorization_text(page, data)
    page.image_corner(qr_image(QR(data.reference, 4), 200, "right"), 30)
    return page.output()
