"""Text helpers shared by search, screens and print-outs, and the one rule for free text people
type (`clean_text`): names, addresses, notes and form fields, wherever they come in."""

from __future__ import annotations

import re
import unicodedata

from printers.words import format_vnd as _format_vnd
from printers.words import vnd_in_words as _vnd_in_words

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


def _letter_table() -> dict[int, str | None]:
    # Every Latin letter whose fold is one ASCII letter (A-Z, the Vietnamese letters with
    # their marks, đ/Đ, the other accented Latin letters), to that letter; combining marks
    # (a name typed decomposed) to nothing.
    table: dict[int, str | None] = {}
    for cp in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        folded = fold(chr(cp))
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            table[cp] = folded
    table.update(dict.fromkeys(range(0x300, 0x370)))
    return table


#: `fold_letters` as a table for `str.translate`.
LETTER_FOLDS = _letter_table()
#: The same as the two strings of SQL's `translate(text, from, to)` (PostgreSQL): the
#: characters of `from` beyond the length of `to` (the marks) are deleted.
FOLD_FROM = "".join(chr(cp) for cp, to in LETTER_FOLDS.items() if to) + "".join(
    chr(cp) for cp, to in LETTER_FOLDS.items() if to is None
)
FOLD_TO = "".join(to for to in LETTER_FOLDS.values() if to)


def fold_letters(text: str) -> str:
    """`fold` of the letters only, every other character kept: what a stored name is compared
    by, computed the same in Python, in SQLite (a function registered on connect,
    `storage.make_engine`) and in PostgreSQL (`translate` with `FOLD_FROM`, `FOLD_TO`).

    >>> fold_letters("ĐỖ Thị Ánh-Hồng")
    'do thi anh-hong'
    """
    return text.translate(LETTER_FOLDS)


#: Vietnamese's own combining marks: the five tones (grave, acute, tilde, hook above, dot
#: below) and the three that shape a vowel (circumflex, breve, horn).
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
VIETNAMESE_MARKS = TONE_MARKS | frozenset("\u0302\u0306\u031b")
#: A Vietnamese letter carries at most two marks (a vowel's shape and a tone: ệ, ở).
MAX_MARKS = 2
_CONTROL = "có ký tự điều khiển hoặc ký tự ẩn (ví dụ ký tự đảo chiều chữ), không được phép."
_MARKS = "có dấu chồng lên nhau hoặc dấu không thuộc chữ Việt."
_ONE_LINE = "chỉ viết trên một dòng."


class TextRefused(ValueError):
    """Free text that cannot be kept; the message names the field, in Vietnamese."""


def _marks_of(ch: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c)[0] == "M"]


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with `text` (already NFC), or None. The rule, for every text a person
    types that is stored, shown or printed:

    - no control or format character (bidi controls such as U+202E, which prints a name
      reversed, zero-width characters, U+00AD, unassigned code points), and no line break
      unless `multiline` (then a newline or a tab is fine);
    - after NFC, Vietnamese needs no combining mark at all: every letter is precomposed. A
      mark may remain only as one of Vietnamese's own (`VIETNAMESE_MARKS`), directly after a
      letter, one per letter, and the letter with it carries at most two marks, at most one of
      them a tone. This keeps the Latin scripts of ethnic minorities that put a breve on a
      Vietnamese vowel (Ê Đê ô̆, ơ̆, ư̆) or a tone on a letter without a precomposed form
      (ŏ́), and refuses stacked marks (Zalgo text), which overprint the lines above and below
      on a receipt, and the marks of other scripts.
    """
    marks: list[str] | None = None  # the marks of the letter just read; None after a non-letter
    loose = False  # whether a mark NFC left separate already follows it
    for ch in text:
        kind = unicodedata.category(ch)
        if multiline and ch in "\n\t":
            marks, loose = None, False
            continue
        if ch in "\r\n\u2028\u2029\x85":
            return _ONE_LINE
        if kind[0] == "C" or kind in ("Zl", "Zp"):
            return _CONTROL
        if kind[0] == "M":
            if ch not in VIETNAMESE_MARKS or marks is None or loose:
                return _MARKS
            marks.append(ch)
            if len(marks) > MAX_MARKS or sum(m in TONE_MARKS for m in marks) > 1:
                return _MARKS
            loose = True
            continue
        marks, loose = (_marks_of(ch) if kind[0] == "L" else None), False
    return None


def clean_text(value: str, label: str, *, multiline: bool = False) -> str:
    """`value` in NFC without surrounding blanks (a line break inside as `\\n`), or
    TextRefused naming `label` when `text_problem` finds something wrong. The one function
    every entry (kiosk, counter, portal, API, CCCD scan) checks free text with."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise TextRefused(f"{label}: {problem}")
    return text


_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def full_name_problem(name: str) -> str | None:
    """What is wrong with a person's full name as one line of NFC text (`clean_text` first):
    at least two words of letters (Vietnamese letters, a hyphen or an apostrophe inside a word
    allowed), 2 to 100 characters; None when it can be a full name."""
    words = name.split()
    if not 2 <= len(name) <= 100 or len(words) < 2:
        return "ghi đủ họ và tên (ít nhất hai chữ, không quá 100 ký tự), ví dụ Nguyễn Văn An."
    if not all(_NAME_WORD.fullmatch(w) for w in words):
        return "chỉ gồm chữ cái (có dấu tiếng Việt), không có chữ số hay ký hiệu."
    return None


_PHONE = re.compile(r"0[0-9]{9}")


def phone_number(raw: str) -> str | None:
    """The one phone rule: a Vietnamese number as typed (`090 123.4567`: spaces and dots
    allowed) as it is kept (`0901234567`); None unless it is 10 digits starting with 0."""
    phone = raw.replace(" ", "").replace(".", "")
    return phone if _PHONE.fullmatch(phone) else None


def format_vnd(amount: int) -> str:
    """`135000` -> `135.000 đ`: the one place money is formatted for people (written in
    `printers.words`, which the printed slips use too)."""
    return _format_vnd(amount)


def vnd_words(amount: int) -> str:
    """`135000` -> `Một trăm ba mươi lăm nghìn đồng`: an amount as it is read aloud."""
    return _vnd_in_words(amount)


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Marks a message for translation where it is defined; surfaces translate it when shown."""
    return message
