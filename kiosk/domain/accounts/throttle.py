"""Rate limits kept in the database, so every worker and process counts the same attempts:
a look-up of a dossier's status is allowed `limit` times a window for one address; an
anonymous upload is counted with its size (`cost`), against a number of files and a budget
of bytes an hour."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ...models import RateHit
from ..clock import utcnow


def allow(
    session: Session,
    bucket: str,
    key: str,
    limit: int,
    window: dt.timedelta = dt.timedelta(minutes=1),
    now: dt.datetime | None = None,
    *,
    cost: int = 1,
    budget: int | None = None,
) -> bool:
    """Count one attempt of `key` in `bucket`, weighing `cost`; False (and nothing counted)
    once `limit` attempts fall within the last `window`, or, with a `budget`, when the costs
    within the window and this one's would pass it."""
    now = now or utcnow()
    key = key[:64]
    session.execute(
        delete(RateHit).where(
            RateHit.bucket == bucket, RateHit.key == key, RateHit.at < now - window
        )
    )
    used, spent = session.execute(
        select(func.count(), func.coalesce(func.sum(RateHit.cost), 0)).where(
            RateHit.bucket == bucket, RateHit.key == key
        )
    ).one()
    if (used or 0) >= limit or (budget is not None and int(spent) + cost > budget):
        session.commit()
        return False
    session.add(RateHit(bucket=bucket, key=key, at=now, cost=cost))
    session.commit()
    return True
