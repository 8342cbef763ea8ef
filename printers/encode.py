"""A `Job` to ESC/POS bytes through python-escpos: raster by `GS v 0`, QR by `GS ( k` where the
printer's profile supports it, and a cut at the end."""

from __future__ import annotations

from collections.abc import Iterator

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image

from .page import QR, Job, qr_image

#: Blank rows at least this tall go out as a paper feed (`ESC J n`) rather than white dots.
MIN_FEED = 8

#: Cut with a short feed (`GS V 66 n`): printers without a cutter ignore it.
FEED_AND_CUT = b"\x1dVB\x03"


def to_escpos(job: Job, profile: str = "TM-T20II") -> bytes:
    """The bytes of `job` for a printer of `profile` (a python-escpos profile name)."""
    p = Dummy(profile=profile)
    native_qr = bool(p.profile.supports("qrCode"))
    p.hw("INIT")
    for part in job.parts:
        if isinstance(part, QR):
            if native_qr:
                p.set(align="center")
                p.qr(part.data, ec=QR_ECLEVEL_M, size=part.module, native=True)
                p.set(align="left")
            else:
                _raster(p, qr_image(part, job.width))
        else:
            _raster(p, part.image)
    p._raw(FEED_AND_CUT)
    return bytes(p.output)


def _bands(image: Image.Image) -> Iterator[tuple[bool, int, int]]:
    """(is_feed, top, bottom) runs of rows: blank stretches of at least MIN_FEED rows are
    feeds, everything between them one band of ink."""
    img = image.convert("1")
    stride = (img.width + 7) // 8
    data = img.tobytes()
    white = b"\xff" * stride  # mode "1" packs white as 1 bits
    blank = [data[y * stride : (y + 1) * stride] == white for y in range(img.height)]
    ink_top = y = 0
    while y < img.height:
        if not blank[y]:
            y += 1
            continue
        run = y
        while y < img.height and blank[y]:
            y += 1
        if y - run >= MIN_FEED:
            if run > ink_top:
                yield (False, ink_top, run)
            yield (True, run, y)
            ink_top = y
    if img.height > ink_top:
        yield (False, ink_top, img.height)


def _raster(p: Dummy, image: Image.Image) -> None:
    """`image` as `GS v 0` bands, its blank stretches as `ESC J` feeds: the same print, fewer
    bytes (a ticket is mostly white between its lines)."""
    for is_feed, top, bottom in _bands(image):
        if not is_feed:
            p.image(image.crop((0, top, image.width, bottom)), impl="bitImageRaster")
            continue
        rows = bottom - top
        while rows > 0:
            step = min(rows, 255)
            p._raw(b"\x1bJ" + bytes([step]))
            rows -= step
