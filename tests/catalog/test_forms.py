"""E-forms as catalog data: the field kinds, the server's checks and messages, the demo forms,
and forms travelling with the catalog through import, export and the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kiosk.cli.catalog import DEMO_CATALOG
from kiosk.domain.catalog import export_catalog, form_of, forms, get_procedure, import_catalog
from tests.builders import valid

FORM = [
    {"name": "ho_ten", "label": "Họ và tên", "kind": "text", "max_length": 10},
    {"name": "ngay", "label": "Ngày sinh", "kind": "date"},
    {"name": "so_ban", "label": "Số bản", "kind": "number", "min": 1, "max": 10},
    {"name": "loai", "label": "Loại phiếu", "kind": "select", "options": ["Số 1", "Số 2"]},
    {"name": "dt", "label": "Điện thoại", "kind": "phone", "required": False},
    {"name": "email", "label": "Thư điện tử", "kind": "email", "required": False},
    {"name": "cccd_me", "label": "CCCD của mẹ", "kind": "cccd"},
    {"name": "noi_o", "label": "Nơi cư trú", "kind": "address"},
]
GOOD = {
    "ho_ten": " Lê Văn A ",
    "ngay": "25/09/1990",
    "so_ban": "2",
    "loai": "Số 2",
    "cccd_me": "001190000123",
    "noi_o": {"commune_code": "21583", "detail": "12 Lê Lợi"},
}


def parsed() -> list[forms.Field]:
    fields, problems = forms.parse_form(FORM)
    assert problems == []
    return fields


def test_a_good_form_is_cleaned() -> None:
    clean, errors = forms.validate(parsed(), GOOD)
    assert errors == {}
    assert clean == {
        "ho_ten": "Lê Văn A",
        "ngay": "1990-09-25",
        "so_ban": 2,
        "loai": "Số 2",
        "cccd_me": "001190000123",
        "noi_o": {"commune_code": "21583", "detail": "12 Lê Lợi"},
    }
    assert forms.address_text(clean["noi_o"]).startswith("12 Lê Lợi, ")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ho_ten", "", "Nhập họ và tên."),
        ("ho_ten", "x" * 11, "Họ và tên: dài quá 10 ký tự."),
        ("ho_ten", "a\x00b", "Họ và tên: có ký tự điều khiển hoặc ký tự ẩn"),
        ("ngay", "31/02/2020", "Ngày sinh: ngày 31/02/2020 không có thật: tháng 2 năm 2020 có 29"),
        ("ngay", "1800-01-01", "Ngày sinh: năm 1800 không hợp lệ"),
        ("ngay", "12/13/1985", "Ngày sinh: không có tháng 13"),
        ("ngay", "hôm qua", "Ngày sinh: ngày không hợp lệ (ngày/tháng/năm"),
        ("so_ban", "1e9", "Số bản: chỉ nhập số nguyên."),
        ("so_ban", "0", "Số bản: nhỏ nhất là 1."),
        ("so_ban", "11", "Số bản: lớn nhất là 10."),
        ("so_ban", "9" * 400, "Số bản: chỉ nhập số nguyên."),
        ("loai", "Số 3", "Loại phiếu: chọn một trong các mục đã cho."),
        ("dt", "12345", "Điện thoại: gồm 10 chữ số, bắt đầu bằng 0."),
        ("email", "a@b", "Thư điện tử: địa chỉ thư điện tử không hợp lệ."),
        ("email", "<script>@x.vn", "Thư điện tử: địa chỉ thư điện tử không hợp lệ."),
        ("cccd_me", "12345", "CCCD của mẹ: "),
        ("cccd_me", "999190000123", "CCCD của mẹ: "),
        ("noi_o", {"commune_code": "99999", "detail": ""}, "Nơi cư trú: chọn xã/phường"),
        ("noi_o", "Hà Nội", "Nơi cư trú: địa chỉ gồm xã/phường"),
        ("noi_o", {}, "Chọn nơi cư trú."),
        ("ho_ten", ["a"], "Họ và tên: giá trị không hợp lệ."),
    ],
)
def test_each_wrong_value_has_its_message(name: str, value: Any, message: str) -> None:
    clean, errors = forms.validate(parsed(), {**GOOD, name: value})
    assert list(errors) == [name]
    assert errors[name].startswith(message), errors[name]
    assert name not in clean or clean[name] != value


def test_unknown_names_are_refused_and_optional_fields_may_be_empty() -> None:
    _, errors = forms.validate(parsed(), {**GOOD, "dt": "", "tham_nhap": "1"})
    assert list(errors) == ["tham_nhap"]
    _, errors = forms.validate(parsed(), "not an object")
    assert "fields" in errors


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("text", "phải là một danh sách"),
        ([{"name": "Bad Name", "label": "x", "kind": "text"}], "chỉ gồm chữ thường"),
        ([{"name": "a", "label": "", "kind": "text"}], "thiếu nhãn"),
        ([{"name": "a", "label": "A", "kind": "colour"}], "loại 'colour' không hợp lệ"),
        ([{"name": "a", "label": "A", "kind": "select"}], "cần danh sách options"),
        ([{"name": "a", "label": "A", "kind": "text", "options": ["x"]}], "chỉ trường lựa chọn"),
        ([{"name": "a", "label": "A", "kind": "number", "min": "1"}], "min phải là số nguyên"),
        ([{"name": "a", "label": "A", "kind": "text"}] * 2, "trùng"),
    ],
)
def test_a_broken_form_is_refused_at_import(
    raw: Any, problem: str, demo_app: Flask, session: Session
) -> None:
    record = {
        "code": "9.000001",
        "name": "Thủ tục thử",
        "field": "Thử",
        "level": "xa",
        "channels": [{"kind": "truc_tiep", "days": 1}],
        "form": raw,
    }
    report = import_catalog(session, json.dumps([record]).encode(), "x.json")
    assert not report.ok
    assert any(problem in str(e) for e in report.errors), report.errors
    assert get_procedure(session, "9.000001") is None


def test_the_demo_catalog_gives_real_forms(session: Session) -> None:
    wanted = {
        "1.001193": "Đăng ký khai sinh",
        "1.004222": "Đăng ký thường trú",
        "3.000333": "lý lịch tư pháp",
        "2.000815": "Chứng thực bản sao",
        "1.002804": "Đổi giấy phép lái xe",
    }
    with_forms = [
        p for p in json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))["procedures"]
        if p.get("form")
    ]  # fmt: skip
    assert len(with_forms) >= 10
    for code, name in wanted.items():
        proc = get_procedure(session, code)
        assert proc is not None and name in proc.name
        fields = form_of(proc)
        assert len(fields) >= 4, code
        assert {f.kind for f in fields} <= set(forms.KINDS)
    kinds = {f.kind for p in with_forms for f in forms.parse_form(p["form"])[0]}
    assert kinds == set(forms.KINDS)
    # A paper of one case only is not asked of every dossier.
    birth = get_procedure(session, "1.001193")
    assert birth is not None
    assert [d.required for d in birth.documents] == [True, True, False]


def test_forms_export_and_import_back_unchanged(
    demo_app: Flask, session: Session, tmp_path: Path
) -> None:
    exported = export_catalog(session)
    assert len(exported["procedures"]) == 61
    again = import_catalog(
        session, json.dumps(exported, ensure_ascii=False).encode(), "catalog.json"
    )
    assert again.ok and again.updated == 61 and again.created == 0
    assert export_catalog(session) == exported
    birth = next(p for p in exported["procedures"] if p["code"] == "1.001193")
    assert birth["form"][0] == {
        "name": "ho_ten_tre",
        "label": "Họ, chữ đệm, tên của trẻ",
        "kind": "text",
        "required": True,
        "max_length": 100,
    }
    # The command writes the same document.
    out = tmp_path / "catalog.json"
    result = demo_app.test_cli_runner().invoke(args=["export-catalog", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == exported


def test_the_api_gives_the_form_and_the_documents(client: FlaskClient) -> None:
    r = client.get("/api/v1/procedures/3.000333")
    assert r.status_code == 200
    body = r.get_json()
    valid(body, "/procedures/{code}", "get", 200)
    kinds = {f["name"]: f for f in body["form"]}
    assert kinds["loai_phieu"]["kind"] == "select"
    assert kinds["loai_phieu"]["options"] == ["Phiếu số 1", "Phiếu số 2"]
    assert kinds["noi_thuong_tru"]["kind"] == "address"
    assert all(f["options"] == [] for f in body["form"] if f["kind"] != "select")
    assert [(d["name"][:7], d["required"]) for d in body["documents"]] == [
        ("Tờ khai", True),
        ("Bản chụ", True),
    ]
    # A procedure without a form answers an empty one.
    r = client.get("/api/v1/procedures/2.001159")
    assert r.get_json()["form"] == []
