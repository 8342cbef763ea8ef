"""A4 documents as real PDF text (fpdf2, DejaVu Sans embedded): what a screen reader reads and
a search finds, unlike a picture of the page. The layout's own drawing calls (`text`, `pair`,
`columns`, `rule`, `space`, as `page.Canvas` has them) are drawn as PDF text, so one layout
function draws the thermal paper and the A4 sheet alike."""

from __future__ import annotations

from fpdf import FPDF
from PIL import Image

from .fonts import font_dir
from .page import printable

#: A4 in millimetres, its margins, and the body's type size in points (14 pt, as printed).
WIDTH_MM, HEIGHT_MM = 210.0, 297.0
MARGIN_MM = 20.0
BODY_PT = 12.0
_ALIGN = {"left": "L", "center": "C", "right": "R"}


class PdfPage:
    """One A4 page drawn top to bottom; `base` is the body's line height in the units
    `space()` takes (tenths of a millimetre, so that `space(c.base * 4)` is four lines)."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(unit="mm", format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("kiosk")
        self.pdf.set_lang("vi")
        self.pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.pdf.set_auto_page_break(True, MARGIN_MM)
        folder = font_dir()
        self.pdf.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
        self.pdf.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
        self.pdf.add_page()
        self.base = 60  # 6 mm
        self.margin = MARGIN_MM

    def _font(self, scale: float, bold: bool) -> float:
        size = BODY_PT * scale
        self.pdf.set_font("DejaVu", "B" if bold else "", size)
        return size * 0.3528 * 1.35  # the line's height in mm

    def text(self, text: str, *, scale: float = 1.0, bold: bool = False, align: str = "left",
             gap: int = 0) -> None:  # fmt: skip
        height = self._font(scale, bold)
        self.pdf.multi_cell(0, height, printable(text), align=_ALIGN.get(align, "L"),
                            new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        if gap:
            self.pdf.ln(gap / 2)

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        """`label: value`, one paragraph."""
        self.text(f"{label}: {' '.join(value.split())}", bold=bold)

    def columns(self, left: str, right: str, *, scale: float = 1.0, bold: bool = False) -> None:
        """Two short texts side by side, each centered in its half (signature blocks)."""
        height = self._font(scale, bold)
        half = (WIDTH_MM - 2 * MARGIN_MM) / 2
        self.pdf.cell(half, height, printable(left), align="C")
        self.pdf.cell(half, height, printable(right), align="C", new_x="LMARGIN", new_y="NEXT")

    def rule(self) -> None:
        y = self.pdf.get_y() + 1.5
        self.pdf.line(MARGIN_MM, y, WIDTH_MM - MARGIN_MM, y)
        self.pdf.ln(3)

    def space(self, tenths_mm: int) -> None:
        self.pdf.ln(tenths_mm / 10)

    def image_corner(self, image: Image.Image, side_mm: float) -> None:
        """`image` in the page's bottom right corner (a QR code), `side_mm` wide."""
        x = WIDTH_MM - MARGIN_MM / 2 - side_mm
        y = HEIGHT_MM - MARGIN_MM / 2 - side_mm
        self.pdf.image(image.convert("L"), x=x, y=y, w=side_mm, h=side_mm)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
