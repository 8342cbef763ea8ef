"""Text helpers shared by search, screens and print-outs."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z.]+")


def fold(text: str) -> str:
    """Lower case without diacritics, `đ` to `d`, runs of other characters to one space.

    >>> fold("Đổi giấy phép lái xe")
    'doi giay phep lai xe'
    """
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    text = _NON_WORD.sub(" ", text)
    # Keep dots only inside codes such as 1.004222, not at word edges.
    text = re.sub(r"(?<![0-9])\.|\.(?![0-9])", " ", text)
    return " ".join(text.split())


def format_vnd(amount: int) -> str:
    """`135000` -> `135.000 đ`: the one place money is formatted for people."""
    return f"{amount:,}".replace(",", ".") + " đ"


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Marks a message for translation where it is defined; surfaces translate it when shown."""
    return message
