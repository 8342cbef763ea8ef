"""Previews (thumbnails) of uploaded papers, made in a child process that a hostile file cannot
take further than a few seconds and a few hundred megabytes.

A file's header says what it will cost to draw, and a hostile one says anything: a PDF of 334
bytes with a page 200 × 14,400,000 units drawn 240 pixels wide asked PDFium for a bitmap of
240 × 17 million pixels (16.6 s, 5.1 GB in the web worker); a PNG of 60 megapixels at 16 bits
costs about 400 MB to decode. So:

* the output is never larger than a fixed box (`BOX`, 240 × 480): the scale is computed from
  the page's size so that both sides fit, whatever the page says;
* the drawing happens in a child process (`python -I .../previews.py`, run by
  its path so that the child imports nothing of the application), which first
  caps its own address space (`MEMORY`) and CPU time (`CPU_SECONDS`) with `setrlimit`; the
  parent waits at most `WALL_SECONDS` and kills it after. Whatever the file does (a content
  stream that loops, an image that decodes to gigabytes, a crash in a C library), the worker
  sees a child that failed, and shows the plain "no preview" icon (`placeholder`) instead;
* one process runs at most `AT_ONCE` children; a caller kept waiting too long gets `Busy`;
* what fails is said apart: `Broken` (the file does not decode: an image is refused at upload),
  `TooCostly` (a limit was reached, or the child died) and `Busy`.

A child costs about 0.1 s to start (Python, Pillow, PDFium); a preview is made once per upload
and kept (`uploads.thumbnail`). bench/uploads.py prints the figures before and after.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

#: The largest preview, in pixels (width, height): a portrait page 240 wide fits.
BOX = (240, 480)
#: The child's address space: Python, Pillow and PDFium take about 150 MB of it; a scanned A4
#: page at 600 dpi (35 million pixels, 140 MB decoded) still fits.
MEMORY = 768 * 1024 * 1024
CPU_SECONDS = 8
WALL_SECONDS = 20.0
#: Children one process runs at once; more callers wait their turn (at most `WALL_SECONDS`),
#: so that many uploads at once cannot start a child each and share out the machine's memory.
AT_ONCE = 2
#: An image larger than this is refused before it is decoded (`Image.MAX_IMAGE_PIXELS` in the
#: child too); the upload check (`uploads.inspect`) reads it from the header.
MAX_PIXELS = 40_000_000

_BROKEN = 3


class PreviewFailed(Exception):
    """No preview could be made."""


class Broken(PreviewFailed):
    """The file does not decode."""


class TooCostly(PreviewFailed):
    """The preview ran out of its time or memory, or its process died."""


class Busy(PreviewFailed):
    """Other previews kept this one waiting too long: try again later."""


#: The child gets no settings (KIOSK_SECRET_KEY, KIOSK_DATABASE_URL...): it reads a hostile file.
_CHILD_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
_turns = threading.BoundedSemaphore(AT_ONCE)  # a gevent semaphore once gevent has patched


@dataclass(frozen=True)
class Limits:
    memory: int = MEMORY
    cpu_seconds: int = CPU_SECONDS
    wall_seconds: float = WALL_SECONDS


DEFAULT = Limits()


def scale_to_fit(width: float, height: float, box: tuple[int, int] = BOX) -> float:
    """The scale at which a page of `width` × `height` units fits in `box` (never above 4)."""
    return min(box[0] / max(width, 1e-3), box[1] / max(height, 1e-3), 4.0)


def render(path: Path, media_type: str, limits: Limits = DEFAULT) -> bytes:
    """A PNG of the first page of the PDF or of the image at `path`, at most `BOX` in pixels;
    `Broken` or `TooCostly` if none could be made within `limits`, `Busy` if `AT_ONCE` others
    kept it waiting `limits.wall_seconds`."""
    if not _turns.acquire(timeout=limits.wall_seconds):
        raise Busy(f"{AT_ONCE} previews ahead for {limits.wall_seconds} s")
    try:
        return _render(path, media_type, limits)
    finally:
        _turns.release()


def _render(path: Path, media_type: str, limits: Limits) -> bytes:
    args = [
        sys.executable, "-I", str(Path(__file__).resolve()), str(path), media_type,
        str(limits.memory), str(limits.cpu_seconds),
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            args, capture_output=True, timeout=limits.wall_seconds, check=False,
            cwd=Path(__file__).resolve().parent, env=_CHILD_ENV,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:  # run() has killed it
        raise TooCostly(f"over {limits.wall_seconds} s") from exc
    if done.returncode == _BROKEN:
        raise Broken(done.stderr.decode(errors="replace")[-300:])
    if done.returncode != 0:
        raise TooCostly(f"exit {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}")
    return _checked(done.stdout)


def _checked(png: bytes) -> bytes:
    """The child's output, if it is a PNG within the box (the parent trusts no more)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(png)) as img:
            if img.format != "PNG" or img.width > BOX[0] or img.height > BOX[1]:
                raise TooCostly(f"unexpected output {img.format} {img.size}")
    except (OSError, ValueError) as exc:
        raise TooCostly("unreadable output") from exc
    return png


_placeholder: bytes | None = None


def placeholder() -> bytes:
    """A plain page with a cross: "no preview"."""
    global _placeholder  # noqa: PLW0603 - made once per process
    if _placeholder is None:
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (120, 160), (245, 245, 245))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, 119, 159), outline=(160, 160, 160), width=3)
        draw.line((30, 50, 90, 110), fill=(160, 160, 160), width=5)
        draw.line((30, 110, 90, 50), fill=(160, 160, 160), width=5)
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        _placeholder = buf.getvalue()
    return _placeholder


# ---------------------------------------------------------------- the child


def _limit(memory: int, cpu_seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # SIGXCPU at the soft limit ends the process; the hard limit a second later kills it.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _draw(path: str, media_type: str) -> bytes:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    if media_type == "application/pdf":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(path)
        try:
            page = pdf[0]
            width, height = page.get_size()
            bitmap = page.render(scale=scale_to_fit(width, height), may_draw_forms=False)
            img = bitmap.to_pil()
        finally:
            pdf.close()
    else:
        opened = Image.open(path)
        if opened.width * opened.height > MAX_PIXELS:
            raise Image.DecompressionBombError("too many pixels")
        # JPEG: decode at 1/2, 1/4 or 1/8 of the size (draft); the rest decode once in full
        # and are reduced by whole factors before the final resampling (reducing_gap).
        opened.draft("RGB", BOX)
        opened.thumbnail(BOX, reducing_gap=2.0)
        img = opened
    img = img.convert("RGB")
    img.thumbnail(BOX)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _main(argv: list[str]) -> int:
    path, media_type, memory, cpu = argv[0], argv[1], int(argv[2]), int(argv[3])
    _limit(memory, cpu)
    from PIL import Image

    try:
        png = _draw(path, media_type)
    except MemoryError:
        return 4
    except Image.DecompressionBombError:
        return 4
    except Exception as exc:  # noqa: BLE001 - any decoder's error means "does not decode"
        sys.stderr.write(f"{type(exc).__name__}: {exc}"[:500])
        return _BROKEN
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
