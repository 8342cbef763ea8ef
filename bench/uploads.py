"""What a hostile upload costs, before and after the bounds of issue 17 (hole 3).

For each file it prints the wall time and the peak memory (the largest resident set of the
process that does the work and of the children it waited for), each case in a fresh process:

- a PDF of 334 bytes with a page 200 units wide and `--tall` units high (14,400,000 as seen:
  16.6 s and 5.1 GB; the default is a tenth of it, so that "before" does not take the machine);
- a 16-bit RGB PNG of 60 megapixels (1.5 MB on disk);
- a 16-bit RGBA PNG of 40 megapixels, the largest image still taken;
- ordinary papers: a 5 MB scanned PDF, a 12-megapixel JPEG photo.

"Before" is the code as it was: the thumbnail drawn in the web worker at a scale from the
page's width only, an image decoded in full in the worker at upload. "After" is the upload
check (`uploads.inspect`: headers only, in the worker) and the preview drawn in the bounded
child (`previews.render`: address space, CPU time and wall clock capped).

    .venv/bin/python bench/uploads.py
    .venv/bin/python bench/uploads.py --tall 14400000      # the page as seen (5 GB "before")
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_files import page_pdf, png16  # noqa: E402

BEFORE_PDF = """
import pypdfium2
START()
pdf = pypdfium2.PdfDocument(PATH)
page = pdf[0]
img = page.render(scale=240 / max(page.get_width(), 1)).to_pil()
img.thumbnail((240, 480))
"""
BEFORE_IMAGE = """
from PIL import Image
START()
with Image.open(PATH) as img:  # the upload check
    assert img.width * img.height <= 60_000_000
    img.load()
with Image.open(PATH) as opened:  # the thumbnail
    opened.draft("RGB", (480, 960))
    img = opened.convert("RGB")
img.thumbnail((240, 480))
"""
AFTER = """
from pathlib import Path
from kiosk.domain.dossiers import previews, uploads
START()
try:
    uploads.inspect(Path(PATH))
    print("accepted", end=" ")
except uploads.UploadRefused as exc:
    print("refused at upload:", str(exc)[:40] + "...", end=" ")
try:
    png = previews.render(Path(PATH), MEDIA)
    print(f"| preview {len(png)} bytes")
except previews.PreviewFailed as exc:
    print(f"| no preview ({type(exc).__name__})")
"""
PROLOGUE = """
import resource, time
def START():
    global T0, BASE
    T0, BASE = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
EPILOGUE = """
took = time.perf_counter() - T0
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - BASE
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"\\n@peak {took} {grown} {child}")
"""


def scan_pdf(megabytes: float) -> bytes:
    from PIL import Image

    side = int((megabytes * 1_000_000 / 1.2) ** 0.5)
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PDF", quality=95)
    return buf.getvalue()


def photo_jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def measure(code: str, path: Path, media: str) -> tuple[float, int, int, str]:
    """(seconds, MB the process grew by, MB of its largest child, what it printed) of the
    work in `code`, run in a fresh process; its imports are not counted."""
    prelude = f"PATH = {str(path)!r}\nMEDIA = {media!r}\n" + PROLOGUE
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", prelude + code + EPILOGUE], cwd=ROOT, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("@peak"):
        return float("nan"), 0, 0, (done.stderr.strip().splitlines() or ["?"])[-1][:80]
    _, took, grown, child = lines[-1].split()
    return float(took), int(grown) // 1024, int(child) // 1024, " ".join(lines[:-1]).strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tall", type=int, default=1_440_000, help="the hostile page's height")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [
            (f"PDF page 200 × {args.tall:,}", page_pdf(200, args.tall), "application/pdf"),
            ("PNG 60 MP, 16-bit RGB", png16(10_000, 6_000), "image/png"),
            ("PNG 40 MP, 16-bit RGBA", png16(8_000, 4_990, alpha=True), "image/png"),
            ("scanned PDF, 5 MB", scan_pdf(5), "application/pdf"),
            ("JPEG photo, 12 MP", photo_jpeg(), "image/jpeg"),
        ]
        print(f"{'file':<26} {'bytes':>9}  {'before: worker':>17}  "
              f"{'after: worker':>17} {'child':>7}  after says")  # fmt: skip
        for name, data, media in cases:
            path = folder / name.replace(" ", "_").replace("×", "x").replace(",", "")
            path.write_bytes(data)
            old = BEFORE_PDF if media == "application/pdf" else BEFORE_IMAGE
            b_s, b_mb, _, _ = measure(old, path, media)
            a_s, a_mb, a_child, said = measure(AFTER, path, media)
            print(
                f"{name:<26} {len(data):>9,}  {b_s:>6.2f} s {b_mb:>+6} MB  "
                f"{a_s:>6.2f} s {a_mb:>+6} MB {a_child:>4} MB  {said}"
            )
    print("(worker: what the work costs the process that asks for it, time and memory grown;")
    print(" child: the peak of the bounded child that draws the preview, its start included)")


if __name__ == "__main__":
    main()
