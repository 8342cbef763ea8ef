"""Rate limits kept in the database, so every worker and process counts the same attempts:
a look-up of a dossier's status is allowed `limit` times a window for one address."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import RateHit
from .clock import utcnow


def allow(
    session: Session,
    bucket: str,
    key: str,
    limit: int,
    window: dt.timedelta = dt.timedelta(minutes=1),
    now: dt.datetime | None = None,
) -> bool:
    """Count one attempt of `key` in `bucket`; False (and nothing counted) once `limit`
    attempts fall within the last `window`."""
    now = now or utcnow()
    key = key[:64]
    session.execute(
        delete(RateHit).where(
            RateHit.bucket == bucket, RateHit.key == key, RateHit.at < now - window
        )
    )
    used = session.scalar(select(func.count()).where(RateHit.bucket == bucket, RateHit.key == key))
    if (used or 0) >= limit:
        session.commit()
        return False
    session.add(RateHit(bucket=bucket, key=key, at=now))
    session.commit()
    return True
