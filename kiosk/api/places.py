"""`GET /api/v1/places`: communes for address fields, after the 2025 merger."""

from __future__ import annotations

from typing import Any

from flask import request

from ..domain import places
from ..view_helpers import int_arg
from . import bp, error


def place_json(c: places.Commune) -> dict[str, str]:
    return {
        "code": c.code,
        "name": c.name,
        "province_code": c.province_code,
        "province_name": c.province_name,
    }


@bp.get("/places")
def list_places() -> Any:
    q = request.args.get("q", "")
    if len(q) > 100:
        return error(400, "bad_request", "Từ khóa tìm địa danh quá dài (tối đa 100 ký tự).")
    province = request.args.get("province") or None
    if province is not None and not (province.isdigit() and len(province) == 2):
        return error(400, "bad_request", "province là mã tỉnh, thành phố gồm 2 chữ số, ví dụ 52.")
    limit = int_arg("limit", 20, low=1, high=100)
    found = places.search(q, province_code=province, limit=limit)
    return {"items": [place_json(c) for c in found]}
