"""Amounts in Vietnamese words, as fee slips and receipts write them (*bằng chữ*), and in
figures (`format_vnd`, the one place money is formatted for people: the application's
`kiosk.domain.text.format_vnd` is this one, as `printers/` imports nothing of the application)."""

from __future__ import annotations


def format_vnd(amount: int) -> str:
    """`135000` -> `135.000 đ`."""
    return f"{amount:,}".replace(",", ".") + " đ"


_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ", "tỷ tỷ"]


def _three(n: int, full: bool) -> list[str]:
    """Words for 0-999; `full` reads leading zeros ("không trăm linh năm") inside a number."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    out: list[str] = []
    if h or full:
        out += [_DIGITS[h], "trăm"]
    if t == 0:
        if u:
            out += (["linh"] if (h or full) else []) + [_DIGITS[u]]
    elif t == 1:
        out.append("mười")
        if u:
            out.append("lăm" if u == 5 else _DIGITS[u])
    else:
        out += [_DIGITS[t], "mươi"]
        if u:
            out.append({1: "mốt", 4: "tư", 5: "lăm"}.get(u, _DIGITS[u]))
    return out


def number_words(n: int) -> str:
    """`135000` -> `một trăm ba mươi lăm nghìn`."""
    if n < 0:
        return "âm " + number_words(-n)
    if n == 0:
        return "không"
    if n >= 1000 ** len(_SCALES):
        raise ValueError(f"{n} is too large to read")
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    top = len(groups) - 1
    for i in range(top, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        words += _three(g, full=i != top)
        if _SCALES[i]:
            words.append(_SCALES[i])
    return " ".join(words)


def vnd_in_words(amount: int) -> str:
    """`135000` -> `Một trăm ba mươi lăm nghìn đồng`."""
    text = number_words(amount) + " đồng"
    return text[0].upper() + text[1:]
