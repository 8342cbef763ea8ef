"""The procedure catalog: look-up, search and browsing.

Search runs the same SQL on SQLite and PostgreSQL. Each procedure's name, code, field and
agency are folded (lower case, no diacritics, `đ` to `d`) and split into words, which go into
`procedure_word`; the query is folded and split the same way. A procedure matches when every
query word begins one of its words (so "giay" and "gia" both find "giấy"), in any order; each
word is a range scan on that table's primary key, so matching does not read every procedure.
The candidates are then ranked, highest first:

* the exact code, then a code prefix;
* the whole query as the start of the name, then anywhere in the name;
* for each word: a whole word of the name, the start of one, inside the name;
* shorter names first, so the general procedure precedes its special cases.

If no procedure has every word, those with the most words are shown instead, so a stray word
still leads somewhere. The total comes from a window count in the same statement.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, load_only, selectinload

from ...models import Channel, Procedure, ProcedureWord
from ..text import fold
from . import forms

_CODE = re.compile(r"^\d+(\.\d*)?$")
#: Columns a result list shows; the long texts stay unread until a procedure is opened.
_SUMMARY = load_only(
    Procedure.code,
    Procedure.name,
    Procedure.field,
    Procedure.level,
    Procedure.agency,
    Procedure.online_level,
    Procedure.any_desk,
)


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(
    column: ColumnElement[str] | QueryableAttribute[str], pattern: str
) -> ColumnElement[bool]:
    return column.like(pattern, escape="\\")


def _has_word_starting(token: str) -> ColumnElement[bool]:
    """The procedure has a folded word that begins with `token` (an index range scan)."""
    # Folded words hold only [0-9a-z.]: the next code point bounds the prefix range exactly.
    upper = token[:-1] + chr(ord(token[-1]) + 1)
    return Procedure.id.in_(
        select(ProcedureWord.procedure_id).where(
            ProcedureWord.word >= token, ProcedureWord.word < upper
        )
    )


@dataclass(frozen=True)
class SearchResult:
    """A page of procedures and how many matched in all."""

    items: Sequence[Procedure]
    total: int


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
    tokens = list(dict.fromkeys(w[:64] for w in folded.split()))[:8]
    filters: list[ColumnElement[bool]] = []
    if field:
        filters.append(Procedure.field == field)
    if level:
        filters.append(Procedure.level == level)
    if online_only:
        filters.append(Procedure.online_level.is_not(None))

    if not tokens:
        order = (Procedure.field, Procedure.name)
        return _page(session, literal(0), filters, order, limit, offset)

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
        # Every candidate has each word somewhere; what ranks is where it is in the name.
        score = score + case(
            (_contains(Procedure.search_name, f"% {esc} %"), 12),
            (_contains(Procedure.search_name, f"% {esc}%"), 10),
            (_contains(Procedure.search_name, f"%{esc}%"), 4),
            else_=0,
        )

    has = [_has_word_starting(t) for t in tokens]
    result = _page(session, score, filters + [and_(*has)], (), limit, offset)
    if result.total or len(tokens) == 1:
        return result
    # No procedure has every word: rank those with the most of them.
    hits = sum((case((h, 1), else_=0) for h in has), literal(0))
    return _page(session, hits * 100 + score, filters + [or_(*has)], (), limit, offset)


def _page(
    session: Session,
    score: ColumnElement[int],
    where: list[ColumnElement[bool]],
    order: tuple[QueryableAttribute[str], ...],
    limit: int,
    offset: int,
) -> SearchResult:
    # Rank and count over ids alone, then load the page's rows: the sort never carries the
    # procedures' other columns, which made a broad query three times slower.
    ranked: Select[int, int] = (
        select(Procedure.id, func.count().over())
        .where(*where)
        .order_by(score.desc(), *order, func.length(Procedure.name), Procedure.code)
        .limit(limit)
        .offset(offset)
    )
    rows = session.execute(ranked).all()
    if not rows:
        if offset == 0:
            return SearchResult(items=[], total=0)
        # Paged past the end: the window count has no row to ride on.
        total = session.scalar(select(func.count()).select_from(Procedure).where(*where)) or 0
        return SearchResult(items=[], total=total)
    ids = [r[0] for r in rows]
    loaded = session.scalars(select(Procedure).where(Procedure.id.in_(ids)).options(_SUMMARY))
    by_id = {p.id: p for p in loaded}
    return SearchResult(items=[by_id[i] for i in ids], total=int(rows[0][1]))


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


def form_of(procedure: Procedure) -> list[forms.Field]:
    """The procedure's e-form (`domain.catalog.forms`), as the catalog import checked it."""
    fields, _ = forms.parse_form(json.loads(procedure.form or "[]"))
    return fields


def fileable(session: Session, query: str = "", limit: int = 30) -> list[Procedure]:
    """Procedures a citizen can file at the kiosk (those with an online channel): matching
    `query`, best first; without one, those with an e-form, by name."""
    online = select(Channel.procedure_id).where(Channel.kind == "truc_tuyen")
    if query.strip():
        found = search(session, query, limit=limit * 2).items
        ok = set(session.scalars(online.where(Channel.procedure_id.in_([p.id for p in found]))))
        return [p for p in found if p.id in ok][:limit]
    return list(
        session.scalars(
            select(Procedure)
            .where(Procedure.id.in_(online), Procedure.form != "[]")
            .order_by(Procedure.name)
            .options(_SUMMARY)
            .limit(limit)
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


def in_force(channel: Channel, day: dt.date) -> list[tuple[int, str]]:
    """The channel's fees (amount, description) in force on `day`, in catalog order: the first
    is the one a dossier filed that day is charged. The one rule for 'the fee of a channel'."""
    return [(f.amount_vnd, f.description) for f in channel.fees if f.applies_on(day)]


def fees_on(procedure: Procedure, day: dt.date) -> list[ChannelFees]:
    """Per channel, the fees that apply on `day` and the saving against the in-person fee."""

    current = {ch.kind: in_force(ch, day) for ch in procedure.channels}
    in_person = current.get("truc_tiep")
    base = in_person[0][0] if in_person else None
    out = []
    for ch in procedure.channels:
        fees = current[ch.kind]
        saving = max(0, base - fees[0][0]) if base is not None and fees else 0
        out.append(ChannelFees(channel=ch, fees=fees, saving_vnd=saving))
    return out
