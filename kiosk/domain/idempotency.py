"""Idempotency keys (a double tap, a retried request) belong to their caller.

A key is stored as a digest of the caller and the key (`scoped`): a signed-in user or token
(`user:<id>`), a kiosk's session (`kiosk:<random name>`), an anonymous API client (its
address). Another caller sending the same key therefore sends a different key and learns
nothing of the first one's dossier or ticket. The same caller's same key with another request
is a `Conflict` (409), told apart by a digest of the request (`digest`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: The longest key a caller may send.
MAX_KEY = 64


class Conflict(ValueError):
    """The caller's key was used before with another request; the message says so."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "Khóa chống trùng (idempotency key) này đã dùng cho một yêu cầu khác; "
            "hãy dùng khóa mới cho yêu cầu mới."
        )


def scoped(caller: str, key: str | None) -> str | None:
    """The key as stored for `caller` (64 hex digits), or None when no key was sent. A key
    without its caller is a programming error, never a key shared by everyone."""
    key = (key or "").strip()
    if not key:
        return None
    if not caller:
        raise ValueError("an idempotency key needs its caller")
    return hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()


def digest(*parts: Any) -> str:
    """A digest of what a request asked for (JSON of `parts`, keys sorted), to tell a retry of
    the same request from another request under the same key."""
    raw = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()
