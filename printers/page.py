"""What a print-out is made of, whatever it says: raster blocks and QR codes in order (`Job`,
which `encode` turns into ESC/POS and `Job.preview()` into one image), the paper widths, and
`Canvas`, which lays lines of Vietnamese text into a block as wide as the paper. The
print-outs themselves are in `layouts`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .fonts import font

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


def printable(text: str) -> str:
    """`text` as it may be drawn, whatever a record holds: NFC, without control or format
    characters (a right-to-left override would print a name reversed; a tab is a space), and
    with no mark stacked beyond two on a letter (a letter keeps at most one mark NFC leaves
    separate), so no line overprints the lines above and below it. The application refuses such
    text at every entry; this keeps an older record or another caller from printing it."""
    out: list[str] = []
    marks = -1  # marks on the letter just drawn; -1 after anything else
    loose = False
    for ch in unicodedata.normalize("NFC", text):
        kind = unicodedata.category(ch)
        if ch in "\n\t":
            out.append(" " if ch == "\t" else ch)
            marks, loose = -1, False
        elif kind[0] == "C" or kind in ("Zl", "Zp"):
            continue
        elif kind[0] == "M":
            if marks < 0 or loose or marks >= 2:
                continue
            out.append(ch)
            marks, loose = marks + 1, True
        else:
            out.append(ch)
            decomposed = unicodedata.normalize("NFD", ch)
            letter = kind[0] == "L"
            marks = sum(unicodedata.category(c)[0] == "M" for c in decomposed) if letter else -1
            loose = False
    return "".join(out)


class Canvas:
    """Stacks lines of text into one raster block, wrapping to the paper's width."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.margin = max(4, width // 48)
        self.base = max(16, width // 24)  # 16 dots at 58 mm, 24 at 80 mm
        self.lines: list[tuple[str, ImageFont.FreeTypeFont, str, int]] = []

    def _wrap(self, text: str, f: ImageFont.FreeTypeFont) -> list[str]:
        room = self.width - 2 * self.margin
        out: list[str] = []
        for para in printable(text).split("\n"):
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
        self.text(f"{label}: {' '.join(value.split())}", bold=bold)  # one paragraph

    def columns(self, left: str, right: str, *, scale: float = 1.0, bold: bool = False) -> None:
        """Two short texts side by side, each centered in its half (signature blocks)."""
        left, right = (" ".join(printable(t).split()) for t in (left, right))
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


def check_width(width: int) -> None:
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {WIDTHS} dots, not {width}")


def qr_module(width: int) -> int:
    return 6 if width >= 576 else 4
