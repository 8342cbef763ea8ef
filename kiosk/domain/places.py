"""Places for addresses: Vietnam's provinces and communes since the 2025 merger (34 provinces,
3,321 communes and wards, no districts), from the maintained `vietnam-provinces` package and
never from a hand-typed list.

Codes are the national ones as the package gives them, written as the General Statistics
Office writes them: two digits for a province (`52` Gia Lai), five for a commune (`21583`).
An address is stored as `{"commune_code": ..., "detail": ...}`; the names are looked up here.
Search folds case and diacritics (`quy nhon dong` finds "Phường Quy Nhơn Đông").
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from .text import fold


@dataclass(frozen=True)
class Commune:
    """A commune or ward (*xã, phường, đặc khu*) and its province."""

    code: str
    name: str
    province_code: str
    province_name: str
    #: Folded "name province", for search.
    words: str


@functools.cache
def _communes() -> tuple[Commune, ...]:
    """Every commune, loaded once per process on first use (about 3,300)."""
    import vietnam_provinces

    out: list[Commune] = []
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as f:
        provinces = json.load(f)
    for province in provinces:
        pcode = f"{int(province['code']):02d}"
        for ward in province["wards"]:
            name = str(ward["name"])
            out.append(
                Commune(
                    code=f"{int(ward['code']):05d}",
                    name=name,
                    province_code=pcode,
                    province_name=str(province["name"]),
                    words=f" {fold(name)} {fold(province['name'])} ",
                )
            )
    return tuple(out)


@functools.cache
def _by_code() -> dict[str, Commune]:
    return {c.code: c for c in _communes()}


def provinces() -> list[tuple[str, str]]:
    """(code, name) of the 34 provinces, in the national order."""
    seen: dict[str, str] = {}
    for c in _communes():
        seen.setdefault(c.province_code, c.province_name)
    return list(seen.items())


def get_commune(code: str) -> Commune | None:
    """The commune with this five-digit code, or None."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) > 5:
        return None
    return _by_code().get(code.zfill(5))


def search(query: str, *, province_code: str | None = None, limit: int = 20) -> list[Commune]:
    """Communes whose name (or province's name) has every word of `query` as the start of one
    of its words, best first: the name starting with the query, then shorter names."""
    words = fold(query).split()
    phrase = " ".join(words)
    found: list[tuple[tuple[int, int, str], Commune]] = []
    for c in _communes():
        if province_code and c.province_code != province_code:
            continue
        if not all(f" {w}" in c.words for w in words):
            continue
        name = fold(c.name)
        # "Phường Quy Nhơn" is found by "quy nhon": the kind of division does not count.
        bare = name.split(" ", 1)[1] if " " in name else name
        rank = 0 if bare.startswith(phrase) or name.startswith(phrase) else 1
        found.append(((rank, len(c.name), c.code), c))
    found.sort(key=lambda item: item[0])
    return [c for _, c in found[: max(0, limit)]]


def in_province(province_code: str) -> list[Commune]:
    """Every commune of a province, by name."""
    return sorted(
        (c for c in _communes() if c.province_code == province_code), key=lambda c: fold(c.name)
    )


_PROVINCE_KINDS = ("thanh pho ", "tinh ", "tp ")
_COMMUNE_KINDS = ("dac khu ", "phuong ", "xa ", "thi tran ")


def _bare(folded: str, kinds: tuple[str, ...]) -> str:
    for kind in kinds:
        if folded.startswith(kind):
            return folded[len(kind) :]
    return folded


@functools.cache
def _province_by_bare_name() -> dict[str, str]:
    return {_bare(fold(name), _PROVINCE_KINDS): code for code, name in provinces()}


#: The provinces merged into others on 1 July 2025 (Resolution 202/2025/QH15), as data.
MERGED_2025 = Path(__file__).resolve().parent.parent / "data" / "provinces_merged_2025.json"


@functools.cache
def former_provinces() -> dict[str, tuple[str, str]]:
    """A province of before the 2025 merger, by its folded bare name ("binh dinh"), to the
    code and name of the province it is part of now (`52`, "Gia Lai"). Read from
    `kiosk/data/provinces_merged_2025.json`; a name there that is not a province now is an
    error, so the table cannot drift from the place list."""
    with open(MERGED_2025, encoding="utf-8") as f:
        merged: dict[str, str] = json.load(f)["merged"]
    by_name = _province_by_bare_name()
    names = dict(provinces())
    out: dict[str, tuple[str, str]] = {}
    for old, new in merged.items():
        code = by_name.get(_bare(fold(new), _PROVINCE_KINDS))
        if code is None:
            raise ValueError(f"{MERGED_2025.name}: {new!r} is not one of the 34 provinces")
        out[_bare(fold(old), _PROVINCE_KINDS)] = (code, names[code])
    return out


@dataclass(frozen=True)
class AddressMatch:
    """An address as written on a card, matched to the place list: the commune when its name
    and its province's are found (else None), the province when only it is, and the rest
    (house, street, hamlet) as `detail`. Nothing written is lost: what was not matched stays
    in `detail`."""

    commune: Commune | None
    province_code: str
    detail: str
    #: The province's name as written on the card when it is one of before the 2025 merger
    #: ("Bình Định", now part of Gia Lai); "" otherwise.
    former_province: str = ""


def match_address(text: str) -> AddressMatch:
    """Match "Tổ 3, Phường Quy Nhơn, Gia Lai" to its province and commune (names compared
    without case, diacritics or their kind: "Phường", "Xã", "Tỉnh", "Thành phố"). Read from the
    right: the last part that names a province, then, left of it, the nearest part that names
    one of that province's communes. A province of before the 2025 merger ("Bình Định",
    "Kon Tum") is matched to the one it is part of now (`former_provinces`: Gia Lai, Quảng
    Ngãi), and a commune only when one of that name is in it now: the citizen checks what was
    matched (`former_province` says the card's name was an old one)."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    by_name = _province_by_bare_name()
    former = former_provinces()
    province_at = -1
    province_code = ""
    former_name = ""
    for i in range(len(parts) - 1, -1, -1):
        bare_name = _bare(fold(parts[i]), _PROVINCE_KINDS)
        code = by_name.get(bare_name)
        if not code and bare_name in former:
            code = former[bare_name][0]
            former_name = _bare_written(parts[i])
        if code:
            province_at, province_code = i, code
            break
    if province_at < 0:
        return AddressMatch(None, "", ", ".join(parts))
    named: dict[str, Commune] = {}  # "phuong quy nhon" first, then "quy nhon"
    bare: dict[str, Commune] = {}
    for c in in_province(province_code):
        named.setdefault(fold(c.name), c)
        bare.setdefault(_bare(fold(c.name), _COMMUNE_KINDS), c)
    for j in range(province_at - 1, -1, -1):
        folded = fold(parts[j])
        found = named.get(folded) or bare.get(_bare(folded, _COMMUNE_KINDS))
        if found is not None:
            return AddressMatch(found, province_code, ", ".join(parts[:j]), former_name)
    return AddressMatch(None, province_code, ", ".join(parts[:province_at]), former_name)


def _bare_written(part: str) -> str:
    """The name of a province as written ("Tỉnh Bình Định" -> "Bình Định"), without its kind."""
    for kind in ("Thành phố ", "Tỉnh ", "TP ", "TP. "):
        if part.lower().startswith(kind.lower()):
            return part[len(kind) :].strip()
    return part
