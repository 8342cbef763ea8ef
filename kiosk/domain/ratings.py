"""Satisfaction (*đánh giá mức độ hài lòng*): a citizen rates a dossier or a counter visit from
1 (very dissatisfied) to 5 (very satisfied), with reasons, at the kiosk, on the status page or
on the counter's tablet after the call. One rating per dossier and per visit: rating again
replaces the first."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Dossier, Rating, Ticket
from . import outbox
from .clock import utcnow
from .text import N_, TextRefused, clean_text

SCORES = {
    1: N_("Rất không hài lòng"),
    2: N_("Không hài lòng"),
    3: N_("Bình thường"),
    4: N_("Hài lòng"),
    5: N_("Rất hài lòng"),
}
#: Why, as the citizen ticks it (the groups of the national satisfaction survey).
REASONS = {
    "thoi_gian": N_("Thời gian chờ, thời gian giải quyết"),
    "thai_do": N_("Thái độ của cán bộ"),
    "huong_dan": N_("Hướng dẫn rõ ràng, dễ hiểu"),
    "thu_tuc": N_("Thủ tục, giấy tờ phải nộp"),
    "phi": N_("Phí, lệ phí"),
    "co_so": N_("Cơ sở vật chất, trang thiết bị"),
    "ket_qua": N_("Kết quả đúng hẹn, chính xác"),
}
SOURCES = ("kiosk", "status_page", "counter")


class RatingError(ValueError):
    """A rating that cannot be kept; the message says why."""


class NoResultYet(RatingError):
    """A rating of a dossier that has no result yet (nothing to rate)."""


#: A dossier has a result to rate once it is resolved, returned or refused.
RESULT_STATES = ("resolved", "returned", "refused")


def may_rate(dossier: Dossier) -> bool:
    """Whether the citizen is offered to rate `dossier`: once it has a result (a dossier filed
    a minute ago has nothing to rate yet)."""
    return dossier.status in RESULT_STATES


def rate(
    session: Session,
    score: object,
    reasons: object = (),
    comment: object = "",
    *,
    source: str,
    dossier: Dossier | None = None,
    ticket: Ticket | None = None,
) -> Rating:
    """Keep the citizen's rating of `dossier` or `ticket` (exactly one of them)."""
    if (dossier is None) == (ticket is None):
        raise RatingError("Đánh giá một hồ sơ hoặc một lượt tiếp đón.")
    if dossier is not None and not may_rate(dossier):
        raise NoResultYet(
            "Hồ sơ chưa có kết quả nên chưa đánh giá được. Ông/bà sẽ được mời đánh giá khi "
            "hồ sơ có kết quả."
        )
    if source not in SOURCES:
        raise RatingError("Nguồn đánh giá không hợp lệ.")
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if isinstance(score, bool) or value not in SCORES:
        raise RatingError("Chọn mức đánh giá từ 1 đến 5.")
    if isinstance(reasons, str):
        reasons = [reasons]
    if not isinstance(reasons, list | tuple) or not all(r in REASONS for r in reasons):
        raise RatingError("Lý do đánh giá không hợp lệ.")
    if not isinstance(comment, str) or len(comment) > 1000:
        raise RatingError("Góp ý dài quá 1.000 ký tự.")
    try:
        comment = clean_text(comment, "Góp ý", multiline=True)
    except TextRefused as exc:
        raise RatingError(str(exc)) from exc
    if dossier is not None:
        found = session.scalar(select(Rating).where(Rating.dossier_id == dossier.id))
    else:
        assert ticket is not None
        found = session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))
    rating = found or Rating(
        dossier_id=dossier.id if dossier else None, ticket_id=ticket.id if ticket else None
    )
    rating.score = value
    rating.reasons = json.dumps(sorted(set(reasons)))
    rating.comment = comment.strip()
    rating.source = source
    rating.at = utcnow()
    session.add(rating)
    outbox.rating(session, rating)
    session.commit()
    return rating


def of_dossier(session: Session, dossier: Dossier) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.dossier_id == dossier.id))
