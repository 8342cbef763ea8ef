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
