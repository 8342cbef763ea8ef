"""A citizen's filing at the kiosk while it is being typed, step by step (*bản nháp*): kept on
the server, never in the browser's cookie (a cookie holds 4 KB and is readable by whoever uses
the kiosk next), as one small JSON file per kiosk session in the instance folder, named by a
random token that only that session holds.

The idle reset (`auth.forget_citizen`) deletes the file with the token; a draft nobody came back
to is deleted by `sweep` after `KEEP_SECONDS`, which every save runs. Files, not a table: a draft
is one session's scratch paper, written at each step and read by the same kiosk, and lives
minutes; it never leaves the machine and is never synced.

A draft is the posted form's pairs (`name`, `value`), in order, so that a field posted twice
(none today) would keep both values.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

#: A draft untouched for this long is gone (the kiosk's idle reset comes far sooner).
KEEP_SECONDS = 2 * 3600
#: The most a draft may hold (a form has at most 60 fields of at most 2,000 characters).
MAX_BYTES = 256 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Pairs = list[tuple[str, str]]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _path(folder: Path, token: str) -> Path | None:
    return folder / f"{token}.json" if _TOKEN.match(token or "") else None


def load(folder: Path, token: str, procedure_code: str) -> Pairs:
    """The draft's pairs for this procedure; nothing when there is none, when it is another
    procedure's, or when it cannot be read."""
    path = _path(folder, token)
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("procedure") != procedure_code:
        return []
    pairs = data.get("values")
    if not isinstance(pairs, list):
        return []
    return [
        (str(p[0]), str(p[1]))
        for p in pairs
        if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
    ]


def save(folder: Path, token: str, procedure_code: str, pairs: Pairs) -> None:
    """Keep the draft (replacing the last), written whole or not at all."""
    path = _path(folder, token)
    if path is None:
        raise ValueError("draft token")
    body = json.dumps(
        {"procedure": procedure_code, "values": [list(p) for p in pairs]}, ensure_ascii=False
    )
    if len(body.encode()) > MAX_BYTES:
        raise ValueError("draft too large")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, path)
    sweep(folder)


def discard(folder: Path, token: str) -> None:
    """Delete the draft (the idle reset, a dossier filed, another procedure begun)."""
    path = _path(folder, token)
    if path is not None:
        path.unlink(missing_ok=True)


def sweep(folder: Path, now: float | None = None) -> int:
    """Delete drafts (and cut writes) untouched for `KEEP_SECONDS`; how many."""
    limit = (time.time() if now is None else now) - KEEP_SECONDS
    gone = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file() and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                gone += 1
        except OSError:
            continue
    return gone
