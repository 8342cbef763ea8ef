"""Where the Vietnamese-capable font comes from: installed at set-up, never committed.

Looked up in `PRINTERS_FONT_DIR`, then the project's `node_modules/dejavu-fonts-ttf/ttf`
(installed from the npm registry by `make`), then Debian's `fonts-dejavu-core`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

_SEARCH = [
    Path(__file__).resolve().parent.parent / "node_modules" / "dejavu-fonts-ttf" / "ttf",
    Path("/usr/share/fonts/truetype/dejavu"),
]


class FontMissing(RuntimeError):
    """No Vietnamese-capable font is installed; the message says how to install one."""


def font_dir() -> Path:
    dirs = [Path(d) for d in [os.environ.get("PRINTERS_FONT_DIR", "")] if d] + _SEARCH
    for d in dirs:
        if (d / "DejaVuSans.ttf").is_file():
            return d
    raise FontMissing(
        "Không tìm thấy phông chữ DejaVu Sans để in tiếng Việt. Chạy `make assets` "
        "(cài gói npm dejavu-fonts-ttf) hoặc `apt-get install fonts-dejavu-core`, "
        "hoặc đặt PRINTERS_FONT_DIR."
    )


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (Bold) at `size` pixels."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(font_dir() / name), size)
