"""Dossiers (*hồ sơ*): receiving one, its code, its due date, and its moves through the
lifecycle, each recorded with who, when and why.

- **Receiving** (`receive`): at a counter (`direct`: accepted at once, its clock starts) or
  online (the kiosk, an agent: `registered`, its clock starts when an officer accepts it; until
  then `due_at` is the date it would be due if accepted when filed, which the receipt gives).
  Online, the e-form (`forms`) and every required paper, uploaded (`uploads`), must be there;
  at a counter the officer holds the paper form, so what is given is checked and the papers
  received on paper are listed. The uploads are attached in the dossier's transaction. The
  code (`states.dossier_code`) comes from the site's row in `dossier_sequence` for the
  day, incremented by an upsert in the dossier's own transaction, as ticket numbers are; the
  receipt's print job (form 01) is written in the same transaction. A repeated idempotency key
  answers the dossier already received.
- **Due date**: `workdays.due_at` from the moment the clock starts, for the channel's working
  days; pauses (supplement, payment) stop it and `workdays.due_with_pauses` sets it again when
  the dossier resumes.
- **Moves** (`move`): only those `states.MOVES` allows, by an account with
  `dossier.process`; each leaves a `DossierEvent`.

The package's modules, one job each:

- `receiving`: check and receive;
- `lifecycle`: move, apologize, hand back, progress;
- `reading`: find, who may see which, the citizen's timeline, the staff's lists;
- `states`: the states, their national numbers, the moves allowed (`MOVES`) and the code;
- `workdays`: working days and due dates with the site's editable calendar (the one place that
  counts them);
- `uploads`: papers checked by content, stored, recovered after a crash, expired, reused;
- `previews`: their thumbnails, drawn in a bounded child process.

Callers use `kiosk.domain.dossiers`, and its `workdays` and `uploads` modules by name.
"""

from __future__ import annotations

from . import previews, uploads, workdays
from .lifecycle import (
    CENTER,
    ID_KINDS,
    FeeOwed,
    HandBackInvalid,
    apologize,
    hand_back,
    hand_back_place,
    move,
    progress,
)
from .reading import (
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
from .receiving import (
    CHANNEL_KINDS,
    FEE_PROOF_MISSING,
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
from .states import (
    FINISHED,
    LABELS,
    MOVES,
    NATIONAL,
    NEEDS_REASON,
    OPEN,
    PAUSED,
    DossierState,
    NextStep,
    TransitionRefused,
    check_move,
    dossier_code,
    next_steps,
    parse_code,
)

__all__ = [
    "CENTER", "CHANNEL_KINDS", "FEE_PROOF_MISSING", "FINISHED", "ID_KINDS", "LABELS", "MOVES",
    "NATIONAL",
    "NEEDS_REASON", "OPEN", "PAUSED", "Applicant", "DossierError", "DossierState", "Page",
    "FeeOwed", "HandBackInvalid", "NextStep", "Papers", "ReceiptPrint", "Received", "Step",
    "TooManyLookups",
    "TransitionRefused",
    "apologize", "branch_of", "branch_worklist", "check", "check_move", "clean_applicant",
    "dossier_code", "find", "next_steps", "hand_back", "hand_back_place", "listing", "mask", "move",
    "open_for_citizen", "parse_code", "place_name", "previews", "print_receipt_again",
    "progress", "promised", "receive", "search", "timeline", "uploads", "visible", "workdays",
    "worklist",
    "worklist_size",
]  # fmt: skip
