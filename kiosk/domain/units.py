"""Which unit a dossier is counted under in the reports (`Dossier.unit`), decided when it is
received, and the units' names.

The national portal scores a province; its managers ask where, under it, points are lost: in
which department (*sở, ban, ngành*) or commune (*xã, phường*). The portal's own attribution is
not public, so the rule here is stated, and `unit_for` is the one place to change it:

- a procedure of the commune level (`level == "xa"`) is resolved by a commune: the commune of
  the citizen's address (the applicant's, else the first address the form asks for), when it
  names one; with no address the dossier counts under the center itself;
- a procedure of the province level is resolved by the department its field belongs to
  (`DEPARTMENTS`, after the 2025 reorganisation: driving licences went to the police on
  2025-03-01); a field no department claims counts under the center itself.

A unit is its code: a commune's five digits, a department's short code, or the site's code for
the center. `report_unit` may give a unit another name; `name_of` answers otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import places

#: The department that resolves a province-level procedure, by the procedure's field.
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "Cấp, quản lý căn cước": ("CA", "Công an tỉnh"),
    "Quản lý xuất nhập cảnh": ("CA", "Công an tỉnh"),
    "Đăng ký, quản lý phương tiện giao thông cơ giới đường bộ": ("CA", "Công an tỉnh"),
    "Nộp phạt vi phạm hành chính trong lĩnh vực giao thông": ("CA", "Công an tỉnh"),
    "Lý lịch tư pháp": ("STP", "Sở Tư pháp"),
    "Hộ tịch": ("STP", "Sở Tư pháp"),
    "Chứng thực": ("STP", "Sở Tư pháp"),
    "Sát hạch, cấp giấy phép lái xe": ("CA", "Công an tỉnh"),  # police since 2025-03-01
    "Hoạt động xây dựng": ("SXD", "Sở Xây dựng"),
    "Bảo trợ xã hội": ("SYT", "Sở Y tế"),
    "Thành lập và hoạt động của hộ kinh doanh": ("STC", "Sở Tài chính"),
}
#: The provincial office, for the synthetic month's procedures no department claims.
OTHER_DEPARTMENT = ("VPUB", "Văn phòng UBND tỉnh")
_NAMES = {code: name for code, name in [*DEPARTMENTS.values(), OTHER_DEPARTMENT]}


def _commune(addresses: Iterable[Any]) -> str | None:
    for value in addresses:
        if isinstance(value, Mapping):
            found = places.get_commune(str(value.get("commune_code") or ""))
            if found is not None:
                return found.code
    return None


def unit_for(
    level: str,
    field: str,
    site_code: str,
    *,
    address: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
) -> str:
    """The unit a dossier of a procedure (its `level` and `field`) counts under; `address` is
    the applicant's, `fields` the form's checked values (an address is a `commune_code`)."""
    if level == "xa":
        return _commune([address or {}, *(fields or {}).values()]) or site_code
    department = DEPARTMENTS.get(field)
    return department[0] if department else site_code


def kind_of(code: str) -> str:
    """A unit's kind by its code: `commune` (five digits) or `department` (a short code). The
    center itself is `center`, which only the caller knows (the site's code)."""
    return "commune" if code.isascii() and code.isdigit() else "department"


def name_of(code: str) -> str | None:
    """A unit's name from its code (a department or a commune), None when unknown."""
    if code in _NAMES:
        return _NAMES[code]
    commune = places.get_commune(code) if kind_of(code) == "commune" else None
    return commune.name if commune else None
