"""ESC/POS bytes read back into what the printer would print.

It understands what this library sends (ESC @, ESC a, ESC J, GS v 0, GS ( k for QR, GS V) and
refuses anything else, so a test that reads a job back also proves no stray command went out.
The virtual printer uses it to write its PNG previews.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from .page import QR, qr_image


class UnreadableJob(ValueError):
    """The bytes hold a command this reader does not know, or end in the middle of one."""


@dataclass
class ReadBack:
    """The printed paper, the QR payloads printed natively, and how the job ended."""

    image: Image.Image
    qr_payloads: list[str] = field(default_factory=list)
    rasters: int = 0
    cuts: int = 0


def read_escpos(data: bytes, width: int | None = None) -> ReadBack:
    """Read `data` back; `width` defaults to the widest raster in the job."""
    strips: list[Image.Image] = []
    pending: list[tuple[str, object]] = []  # raster images and QR prints, width applied later
    payloads: list[str] = []
    stored = b""
    module = 3
    align = 0
    cuts = rasters = 0
    i = 0
    n = len(data)

    def need(k: int) -> bytes:
        if i + k > n:
            raise UnreadableJob(f"the job ends inside a command at byte {i}")
        return data[i : i + k]

    while i < n:
        b = data[i]
        if data.startswith(b"\x1b@", i):
            i += 2
        elif data.startswith(b"\x1ba", i):
            align = need(3)[2] % 48 if need(3)[2] >= 48 else need(3)[2]
            i += 3
        elif data.startswith(b"\x1bJ", i):
            pending.append(("feed", need(3)[2]))
            i += 3
        elif data.startswith(b"\x1dv0", i):
            head = need(8)
            width_bytes = head[4] | head[5] << 8
            height = head[6] | head[7] << 8
            i += 8
            body = need(width_bytes * height)
            # Raster bits: 1 is a black dot; PIL's mode "1" packs white as 1, hence the invert.
            img = Image.frombytes("1", (width_bytes * 8, height), bytes(255 - x for x in body))
            pending.append(("raster", img))
            rasters += 1
            i += width_bytes * height
        elif data.startswith(b"\x1d(k", i):
            head = need(8)
            length = head[3] | head[4] << 8
            cn, fn = head[5], head[6]
            body = need(5 + length)[5:]
            if cn != 0x31:
                raise UnreadableJob(f"2D code type {cn:#x} at byte {i} is not a QR code")
            if fn == 0x43:  # C: module size
                module = body[2]
            elif fn == 0x50:  # P: store data (after the m byte "0")
                stored = body[3:]
            elif fn == 0x51:  # Q: print what was stored
                payloads.append(stored.decode("utf-8"))
                pending.append(("qr", (stored, module, align)))
            i += 5 + length
        elif data.startswith(b"\x1dV", i):
            mode = need(3)[2]
            i += 4 if mode in (65, 66) else 3
            cuts += 1
        else:
            raise UnreadableJob(f"unknown byte {b:#04x} at {i}: {data[i : i + 8]!r}")

    rasters_only = [obj for kind, obj in pending if kind == "raster"]
    paper = width or max(
        (im.width for im in rasters_only if isinstance(im, Image.Image)), default=384
    )
    for kind, obj in pending:
        if kind == "raster" and isinstance(obj, Image.Image):
            strips.append(obj)
        elif kind == "feed" and isinstance(obj, int):
            strips.append(Image.new("1", (paper, obj), 1))
        elif kind == "qr" and isinstance(obj, tuple):
            # Drawn as the printer draws it from GS ( k: the same modules, the same alignment.
            code = QR(obj[0].decode("utf-8"), obj[1])
            strips.append(qr_image(code, paper, ("left", "center", "right")[obj[2] % 3]))
    out = Image.new("1", (paper, max(1, sum(s.height for s in strips))), 1)
    y = 0
    for s in strips:
        out.paste(s, (0, y))
        y += s.height
    return ReadBack(image=out, qr_payloads=payloads, rasters=rasters, cuts=cuts)
