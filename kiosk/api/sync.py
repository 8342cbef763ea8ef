"""`/api/v1/sync/status`: at the province's hub, each site's last event, its events today and
its link, for a manager's token (`sync.read`)."""

from __future__ import annotations

from typing import Any

from .. import auth
from ..domain import province
from ..domain.accounts import Forbidden
from ..domain.clock import local, utcnow
from ..domain.reports import Period
from ..view_helpers import db, site_tz
from . import bp, error, iso


@bp.get("/sync/status")
def sync_status() -> Any:
    user = auth.current_user()
    if user is None:
        return error(401, "unauthorized", "Cần tài khoản quản lý (Authorization: Bearer <mã>).")
    today = local(utcnow(), site_tz()).date()
    start, end = Period(today, today).bounds(site_tz())
    try:
        sites = province.sync_status(db(), user, day_start=start, day_end=end)
    except Forbidden as exc:
        return error(403, "forbidden", str(exc))
    return {
        "sites": [
            {
                "site": s.site,
                "last_event_at": iso(s.last_event_at),
                "events_today": s.events_today,
                "link_up": s.link_up,
                "events_failed": s.events_failed,
            }
            for s in sites
        ]
    }
