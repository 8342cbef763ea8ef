"""Render + encode time and bytes per job for each layout at 58 mm and 80 mm.

Goal (printing issue): an 80 mm queue ticket in under 15 ms at p95 and under 30 KB.

    .venv/bin/python bench/printing.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printers.encode import to_escpos  # noqa: E402
from printers.samples import sample_job  # noqa: E402

PROFILES = {384: "POS-5890", 576: "TM-T20II"}


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    print(f"{'layout':<8} {'dots':>4} {'profile':<9} {'p50 ms':>7} {'p95 ms':>7} {'bytes':>7}")
    for kind in ("ticket", "receipt", "fee", "apology"):
        for width in (384, 576):
            profile = PROFILES[width]
            times, size = [], 0
            for _ in range(args.rounds + 5):
                t = time.perf_counter()
                data = to_escpos(
                    sample_job(kind, width, "Trung tâm Phục vụ hành chính công tỉnh Gia Lai"),
                    profile,
                )
                times.append((time.perf_counter() - t) * 1000)
                size = len(data)
            times = times[5:]  # warm-up: font loading
            p50, p95 = pct(times, 0.5), pct(times, 0.95)
            print(f"{kind:<8} {width:>4} {profile:<9} {p50:7.2f} {p95:7.2f} {size:7d}")
            if kind == "ticket" and width == 576:
                goal = (p95 < 15, size < 30_000)
                verdict = ["meets" if ok else "MISSES" for ok in goal]
                print(
                    f"         goal p95 < 15 ms: {verdict[0]} ({p95 / 15:.2f} of it); "
                    f"< 30 KB: {verdict[1]} ({size / 30_000:.2f} of it)"
                )


if __name__ == "__main__":
    main()
