"""Charts drawn on the server as SVG: no chart library, no script, nothing fetched. Each chart
is a `<figure>` with a title, readable at any size, colours and text as SVG attributes (the
strict CSP allows no inline style), and its numbers also in the `<title>` of each bar for a
screen reader or a mouse hover. The CSV beside each chart carries the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

#: Colours for the series, in order (a colour-blind-safe palette).
PALETTE = ("#1f5fa8", "#e08a00", "#2e8540", "#b3261e", "#6b4fa0")
INK, GRID, FONT = "#1b1b1b", "#d0d4da", "system-ui, sans-serif"


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value == int(value) else f"{value:.1f}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(
    rows: Sequence[tuple[str, float]], *, title: str, width: int = 720, label_chars: int = 42,
    colour: str = PALETTE[0], maximum: float | None = None,
) -> Markup:  # fmt: skip
    """Horizontal bars, one per row (label, value), the value written at the bar's end."""
    line, label_w = 26, min(width // 2, label_chars * 7)
    height = max(1, len(rows)) * line + 8
    top = maximum if maximum else max((v for _, v in rows), default=0) or 1
    room = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="{FONT}" '
        f'font-size="13">'
    ]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * line
        w = max(0.0, room * value / top)
        parts.append(
            f"<g><title>{escape(label)}: {_number(value)}</title>"
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">'
            f"{escape(_cut(label, label_chars))}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{line - 8}" '
            f'fill="{colour}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" fill="{INK}">{_number(value)}</text></g>'
        )
    if not rows:
        parts.append(f'<text x="8" y="20" fill="{INK}">—</text>')
    parts.append("</svg>")
    return Markup(f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
                  f'{"".join(parts)}</figure>')  # fmt: skip


def columns(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str,
    width: int = 720, height: int = 240, stacked: bool = True,
) -> Markup:  # fmt: skip
    """Columns over a sequence (days, hours), one colour per series, stacked by default, with
    a legend and a few grid lines."""
    left, bottom, top_pad = 56, 34, 28
    n = max(1, len(labels))
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    totals = [
        sum(s[1][i] for s in series) if stacked else max((s[1][i] for s in series), default=0)
        for i in range(len(labels))
    ]
    top = max(totals, default=0) or 1
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.7 / (1 if stacked else max(1, len(series))))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" font-family="{FONT}" '
        f'font-size="12">'
    ]
    for k in range(5):
        value = top * k / 4
        y = top_pad + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{_number(round(value, 1))}</text>"
        )
    every = max(1, n // 12)
    for i, label in enumerate(labels):
        x0 = left + i * slot + (slot - bar_w * (1 if stacked else len(series))) / 2
        base = 0.0
        for j, (name, values) in enumerate(series):
            v = values[i]
            h = plot_h * v / top
            x = x0 if stacked else x0 + j * bar_w
            y = top_pad + plot_h - h - (plot_h * base / top if stacked else 0)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(label)} · {escape(name)}: '
                f"{_number(v)}</title></rect>"
            )
            if stacked:
                base += v
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" fill="{INK}">{escape(label)}</text>'
            )
    x = left
    for j, (name, _values) in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="16" fill="{INK}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return Markup(f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
                  f'{"".join(parts)}</figure>')  # fmt: skip
