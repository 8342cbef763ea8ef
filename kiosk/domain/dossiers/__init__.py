"""Dossiers (*hồ sơ*): receiving one, its code, its due date, and its moves through the
lifecycle, each recorded with who, when and why.

- **Receiving** (`receive`): at a counter (`direct`: accepted at once, its clock starts) or
  online (the kiosk, an agent: `registered`, its clock starts when an officer accepts it; until
  then `due_at` is the date it would be due if accepted when filed, which the receipt gives).
  Online, the e-form (`forms`) and every required paper, uploaded (`uploads`), must be there;
  at a counter the officer holds the paper form, so what is given is checked and the papers
  received on paper are listed. The uploads are attached in the dossier's transaction. The
  code (`dossier_states.dossier_code`) comes from the site's row in `dossier_sequence` for the
  day, incremented by an upsert in the dossier's own transaction, as ticket numbers are; the
  receipt's print job (form 01) is written in the same transaction. A repeated idempotency key
  answers the dossier already received.
- **Due date**: `workdays.due_at` from the moment the clock starts, for the channel's working
  days; pauses (supplement, payment) stop it and `workdays.due_with_pauses` sets it again when
  the dossier resumes.
- **Moves** (`move`): only those `dossier_states.MOVES` allows, by an account with
  `dossier.process`; each leaves a `DossierEvent`.

The package's modules, one job each: `receiving` (check and receive), `lifecycle` (move,
apologize, hand back, progress) and `views` (find, who may see, the citizen's timeline, the
staff's lists). Callers use `kiosk.domain.dossiers` only.
"""

from __future__ import annotations

from .lifecycle import (
    CENTER,
    ID_KINDS,
    apologize,
    hand_back,
    hand_back_place,
    move,
    progress,
)
from .receiving import (
    CHANNEL_KINDS,
    Applicant,
    DossierError,
    Papers,
    ReceiptPrint,
    Received,
    check,
    clean_applicant,
    print_receipt_again,
    receive,
)
from .views import (
    Page,
    Step,
    TooManyLookups,
    branch_of,
    branch_worklist,
    find,
    listing,
    mask,
    open_for_citizen,
    place_name,
    promised,
    search,
    timeline,
    visible,
    worklist,
    worklist_size,
)

__all__ = [
    "CENTER", "CHANNEL_KINDS", "ID_KINDS", "Applicant", "DossierError", "Page", "Papers",
    "ReceiptPrint", "Received", "Step", "TooManyLookups", "apologize", "branch_of",
    "branch_worklist", "check", "clean_applicant", "find", "hand_back", "hand_back_place",
    "listing", "mask", "move", "open_for_citizen", "place_name", "print_receipt_again",
    "progress", "promised", "receive", "search", "timeline", "visible", "worklist",
    "worklist_size",
]  # fmt: skip
