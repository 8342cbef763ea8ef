"""QR codes for screens, as inline SVG (no image request, no external service)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(data: str, *, box_size: int = 10) -> Markup:
    """`data` as an inline SVG QR code, error correction M, with a quiet zone."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf)
    svg = buf.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration to inline it
    return Markup(svg)
