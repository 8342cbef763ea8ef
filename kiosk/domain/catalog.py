"""The procedure catalog: look-up, search and browsing.

Search is one SQL statement that runs unchanged on SQLite and PostgreSQL. Each procedure keeps
a folded copy of its name (`search_name`, padded with spaces) and of its name, code, field and
agency (`search_text`). The query is folded the same way and split into words; a procedure
matches when every word occurs in `search_text` (as a whole word or the start of one, so "giay"
and "gia" both find "giấy"), in any order. Ranking, highest first:

* the exact code, then a code prefix;
* the whole query as the start of the name, then anywhere in the name;
* for each word: the start of a word of the name, then inside the name, then elsewhere;
* shorter names first, so the general procedure precedes its special cases.

If no procedure has every word, those with the most words are shown instead, so a stray word
still leads somewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, selectinload

from ..models import Channel, Procedure
from .text import fold

_CODE = re.compile(r"^\d+(\.\d*)?$")


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(
    column: ColumnElement[str] | QueryableAttribute[str], pattern: str
) -> ColumnElement[bool]:
    return column.like(pattern, escape="\\")


@dataclass(frozen=True)
class SearchResult:
    """A page of procedures and how many matched in all."""

    items: Sequence[Procedure]
    total: int


def _word_match(column: ColumnElement[str], token: str) -> ColumnElement[bool]:
    """`token` begins a word of `column` (folded text padded with spaces)."""
    return _contains(column, f"% {_like_escape(token)}%")


def search(
    session: Session,
    query: str = "",
    *,
    field: str | None = None,
    level: str | None = None,
    online_only: bool = False,
    limit: int = 30,
    offset: int = 0,
) -> SearchResult:
    """Procedures matching `query`, best first, optionally within one field and level, or
    only those that can be filed online."""
    folded = fold(query)
    tokens = folded.split()[:8]
    filters: list[ColumnElement[bool]] = []
    if field:
        filters.append(Procedure.field == field)
    if level:
        filters.append(Procedure.level == level)
    if online_only:
        filters.append(Procedure.online_level.is_not(None))

    padded_text = literal(" ") + Procedure.search_text
    if not tokens:
        stmt = select(Procedure).where(*filters).order_by(Procedure.field, Procedure.name)
        return _page(session, stmt, filters, limit, offset)

    token_hits = [_word_match(padded_text, t) for t in tokens]
    score: ColumnElement[int] = literal(0)
    raw = query.strip()
    if _CODE.match(raw):
        score = score + case((Procedure.code == raw, 1000), else_=0)
        score = score + case((_contains(Procedure.code, _like_escape(raw) + "%"), 500), else_=0)
    phrase = _like_escape(folded)
    score = score + case((_contains(Procedure.search_name, f" {phrase}%"), 60), else_=0)
    score = score + case((_contains(Procedure.search_name, f"% {phrase}%"), 30), else_=0)
    for t in tokens:
        esc = _like_escape(t)
        score = score + case(
            (_contains(Procedure.search_name, f"% {esc} %"), 12),
            (_contains(Procedure.search_name, f"% {esc}%"), 10),
            (_contains(Procedure.search_name, f"%{esc}%"), 4),
            (_contains(padded_text, f"% {esc}%"), 2),
            else_=0,
        )

    all_words = and_(*token_hits)
    stmt = _ranked(score, filters + [all_words])
    result = _page(session, stmt, filters + [all_words], limit, offset)
    if result.total or len(tokens) == 1:
        return result
    # No procedure has every word: rank those with the most of them.
    hits = sum((case((h, 1), else_=0) for h in token_hits), literal(0))
    stmt = _ranked(hits * 100 + score, filters + [or_(*token_hits)])
    return _page(session, stmt, filters + [or_(*token_hits)], limit, offset)


def _ranked(score: ColumnElement[int], where: list[ColumnElement[bool]]) -> Select[Procedure]:
    return (
        select(Procedure)
        .where(*where)
        .order_by(score.desc(), func.length(Procedure.name), Procedure.code)
    )


def _page(
    session: Session,
    stmt: Select[Procedure],
    where: list[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> SearchResult:
    total = session.scalar(select(func.count()).select_from(Procedure).where(*where)) or 0
    items = session.scalars(stmt.limit(limit).offset(offset)).all()
    return SearchResult(items=items, total=total)


def get_procedure(session: Session, code: str) -> Procedure | None:
    """The procedure with this code, with its channels, fees and documents loaded."""
    return session.scalar(
        select(Procedure)
        .where(Procedure.code == code)
        .options(
            selectinload(Procedure.channels).selectinload(Channel.fees),
            selectinload(Procedure.documents),
        )
    )


def fields(session: Session, level: str | None = None) -> list[tuple[str, int]]:
    """Each field (*lĩnh vực*) with how many procedures it has, by name."""
    stmt = select(Procedure.field, func.count()).group_by(Procedure.field).order_by(Procedure.field)
    if level:
        stmt = stmt.where(Procedure.level == level)
    return [(name, count) for name, count in session.execute(stmt).all()]


@dataclass(frozen=True)
class ChannelFees:
    """A channel's fees in force on a day, and how much it saves against filing in person."""

    channel: Channel
    fees: list[tuple[int, str]]
    saving_vnd: int


def fees_on(procedure: Procedure, day: dt.date) -> list[ChannelFees]:
    """Per channel, the fees that apply on `day` and the saving against the in-person fee."""

    def current(ch: Channel) -> list[tuple[int, str]]:
        return [(f.amount_vnd, f.description) for f in ch.fees if f.applies_on(day)]

    in_person = next((ch for ch in procedure.channels if ch.kind == "truc_tiep"), None)
    base = current(in_person)[0][0] if in_person and current(in_person) else None
    out = []
    for ch in procedure.channels:
        fees = current(ch)
        saving = 0
        if base is not None and fees and ch.kind != "truc_tiep":
            saving = max(0, base - fees[0][0])
        out.append(ChannelFees(channel=ch, fees=fees, saving_vnd=saving))
    return out
