"""The procedure catalog (*thủ tục hành chính*): what a citizen can ask for, its papers, fees and
time limits, and the e-form it is filed with.

- `procedures`: look-up, search and browsing, the fee in force for each channel;
- `import_export`: reading a catalog from JSON or CSV (this project's shape or the national
  portal's), checking every record, writing all or nothing; and writing it back out;
- `forms`: the e-forms (*tờ khai điện tử*) carried by the catalog, and the check of every value.

Callers use `kiosk.domain.catalog` (and `kiosk.domain.catalog.forms` for the e-forms).
"""

from __future__ import annotations

from . import forms
from .import_export import CatalogFormatError, ImportReport, export_catalog, import_catalog
from .procedures import (
    ChannelFees,
    SearchResult,
    fees_on,
    fields,
    fileable,
    form_of,
    get_procedure,
    in_force,
    search,
)

__all__ = [
    "CatalogFormatError", "ChannelFees", "ImportReport", "SearchResult", "export_catalog",
    "fees_on", "fields", "fileable", "form_of", "forms", "get_procedure", "import_catalog",
    "in_force", "search",
]  # fmt: skip
