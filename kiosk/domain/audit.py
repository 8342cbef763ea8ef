"""The audit log (*nhật ký*): every read of a citizen's data by staff or agents and every money
or consent action, with actor, time, branch, dossier and outcome. Append-only: this module only
adds entries, and nothing in the code updates or deletes one (Decree 13/2023 on personal data)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..models import AuditEntry, User
from .clock import utcnow


def record(
    session: Session, actor: User | None, action: str, *, dossier: str = "", branch: str = "",
    detail: str = "", outcome: str = "ok",
) -> AuditEntry:  # fmt: skip
    """Add an entry in the caller's transaction (commit it with the action it records)."""
    entry = AuditEntry(
        at=utcnow(), actor_id=actor.id if actor else None,
        actor_name=(actor.full_name or actor.username) if actor else "", action=action[:48],
        dossier_code=dossier[:40], branch_code=branch[:32], detail=detail[:1000],
        outcome=outcome[:16],
    )  # fmt: skip
    session.add(entry)
    return entry
