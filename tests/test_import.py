"""The catalog importer: validation with line numbers, all-or-nothing, update in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.cli import DEMO_CATALOG
from kiosk.domain.catalog import get_procedure
from kiosk.domain.catalog.import_export import CatalogFormatError, import_catalog, validate
from kiosk.models import Procedure

GOOD = {
    "code": "1.004222",
    "name": "Đăng ký thường trú",
    "field": "Đăng ký, quản lý cư trú",
    "level": "xa",
    "agency": "Công an cấp xã",
    "online_level": "mot_phan",
    "channels": [
        {"kind": "truc_tiep", "days": 7, "fees": [{"amount": 20000}]},
        {"kind": "truc_tuyen", "days": 7, "fees": [{"amount": "10.000"}]},
    ],
    "documents": [{"name": "Tờ khai CT01", "originals": 1, "copies": 0, "form": "CT01"}],
}


def count(app: Flask) -> int:
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        n = s.scalar(select(func.count()).select_from(Procedure)) or 0
        s.close()
        return n


# ------------------------------------------------------------------ unit: validation


def test_valid_record_is_clean() -> None:
    clean, problems = validate(dict(GOOD))
    assert problems == []
    assert clean["channels"][1]["fees"][0]["amount_vnd"] == 10000


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"code": ""}, "thiếu mã thủ tục"),
        ({"code": "a b c"}, "không hợp lệ"),
        ({"name": " "}, "thiếu tên thủ tục"),
        ({"level": "huyen"}, "cấp thực hiện"),
        ({"online_level": "muc 4"}, "mức độ trực tuyến"),
        ({"channels": []}, "ít nhất một cách thức"),
        ({"channels": [{"kind": "fax", "days": 1}]}, "loại 'fax' không hợp lệ"),
        ({"channels": [{"kind": "truc_tiep", "days": "bảy"}]}, "không phải số ngày"),
        (
            {"channels": [{"kind": "truc_tiep", "days": 1, "fees": [{"amount": "20k"}]}]},
            "số nguyên",
        ),
        (
            {"channels": [{"kind": "truc_tiep", "days": 1, "fees": [{"amount": -5}]}]},
            "không được âm",
        ),
        ({"channels": [{"kind": "truc_tiep", "days": 1, "fees": [{"amount": 1.5}]}]}, "số nguyên"),
        (
            {
                "channels": [
                    {"kind": "truc_tiep", "days": 1, "fees": [{"amount": 1, "valid_to": "31/12"}]}
                ]
            },
            "YYYY-MM-DD",
        ),
        ({"documents": [{"name": ""}]}, "thiếu tên"),
    ],
)
def test_each_problem_is_named_in_vietnamese(change: dict[str, object], reason: str) -> None:
    _clean, problems = validate({**GOOD, **change})
    assert any(reason in p for p in problems), problems


# ------------------------------------------------------------------ integration


def test_demo_catalog_is_large_and_varied(session: Session) -> None:
    procs = session.scalars(select(Procedure)).all()
    assert len(procs) >= 60
    assert len({p.field for p in procs}) >= 8
    assert {p.level for p in procs} == {"tinh", "xa"}
    assert all(p.source for p in procs), "every demo procedure records where it came from"
    assert all(p.channels for p in procs)


def test_file_with_an_error_imports_nothing_and_names_the_line(app: Flask, tmp_path: Path) -> None:
    bad = dict(GOOD, code="1.000001", level="huyen")
    text = json.dumps([GOOD, bad], ensure_ascii=False, indent=2)
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        report = import_catalog(s, text.encode(), "catalog.json")
        s.close()
    assert not report.ok
    [err] = report.errors
    assert err.code == "1.000001"
    # The second record starts on the line holding its opening brace.
    assert text.splitlines()[err.line - 1].strip() == "{"
    assert err.line > 2
    assert count(app) == 0


def test_duplicate_codes_are_refused(app: Flask) -> None:
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        report = import_catalog(s, json.dumps([GOOD, GOOD]).encode(), "c.json")
        s.close()
    assert any("trùng" in e.reason for e in report.errors)
    assert count(app) == 0


def test_reimport_updates_in_place(app: Flask) -> None:
    changed = dict(GOOD, name="Đăng ký thường trú (sửa)")
    changed["channels"] = [{"kind": "truc_tiep", "days": 5, "fees": [{"amount": 25000}]}]
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        first = import_catalog(s, json.dumps([GOOD]).encode(), "c.json")
        pid = s.scalars(select(Procedure.id)).one()
        second = import_catalog(s, json.dumps([changed]).encode(), "c.json")
        s.close()
        s = app.extensions["kiosk.sessionmaker"]()
        proc = get_procedure(s, "1.004222")
        assert proc is not None
        assert (first.created, second.updated, second.created) == (1, 1, 0)
        assert proc.id == pid
        assert proc.name == "Đăng ký thường trú (sửa)"
        assert [(c.kind, int(c.processing_days)) for c in proc.channels] == [("truc_tiep", 5)]
        assert [f.amount_vnd for f in proc.channels[0].fees] == [25000]
        s.close()
    assert count(app) == 1


def test_csv_import_and_line_numbers(app: Flask) -> None:
    header = (
        "code,name,field,level,agency,online_level,any_desk,in_person_days,in_person_fee,"
        "online_days,online_fee,documents\n"
    )
    good = (
        "1.001193,Đăng ký khai sinh,Hộ tịch,xa,UBND cấp xã,toan_trinh,,0,0,0,0,"
        '"Tờ khai đăng ký khai sinh|1|0|;Giấy chứng sinh|1|0"\n'
    )
    bad = "2.000815,Chứng thực bản sao,Chứng thực,xa,UBND cấp xã,,x,0,2.000đ,,,\n"
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        report = import_catalog(s, (header + good + bad).encode(), "c.csv")
        assert [(e.line, e.code) for e in report.errors] == [(3, "2.000815")]
        assert "số nguyên" in report.errors[0].reason
        assert count(app) == 0
        report = import_catalog(s, (header + good).encode(), "c.csv")
        assert report.ok and report.created == 1
        proc = get_procedure(s, "1.001193")
        assert proc is not None
        assert [d.name for d in proc.documents] == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
        s.close()


def test_national_portal_shape(app: Flask) -> None:
    portal = {
        "result": [
            {
                "MATTHC": "1.004194",
                "TENTTHC": "Đăng ký tạm trú",
                "CAPTHUCHIEN": [{"CAPTHUCHIEN": "Cấp Xã"}],
                "LINHVUCTHUCHIEN": [
                    {"MALINHVUC": "G09-CA02", "TENLINHVUC": "Đăng ký, quản lý cư trú"}
                ],
                "COQUANTHUCHIEN": [{"TENDONVI": "Công an Xã"}],
                "MUCDO": "3",
                "CACHTHUCTHUCHIEN": [
                    {
                        "KENH": "1",
                        "THOIGIAN": [
                            {
                                "THOIGIANGIAIQUYET": "3",
                                "DONVITINH": "Ngày làm việc",
                                "PHILEPHI": [{"SOTIEN": "15000", "MOTA": "Lệ phí"}],
                            }
                        ],
                    },
                    {
                        "KENH": "2",
                        "THOIGIAN": [
                            {
                                "THOIGIANGIAIQUYET": "3",
                                "DONVITINH": "Ngày làm việc",
                                "PHILEPHI": [{"SOTIEN": "7000", "MOTA": "Lệ phí trực tuyến"}],
                            }
                        ],
                    },
                ],
                "THANHPHANHOSO": [
                    {
                        "TRUONGHOP": "",
                        "GIAYTO": [
                            {
                                "TENGIAYTO": "Tờ khai",
                                "TENMAUDON": "CT01",
                                "SOBANCHINH": "1",
                                "SOBANSAO": "0",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        report = import_catalog(s, json.dumps(portal, ensure_ascii=False).encode(), "p.json")
        assert report.ok, report.errors
        proc = get_procedure(s, "1.004194")
        assert proc is not None
        assert (proc.level, proc.field, proc.online_level) == (
            "xa",
            "Đăng ký, quản lý cư trú",
            "mot_phan",
        )
        assert [(c.kind, c.fees[0].amount_vnd) for c in proc.channels] == [
            ("truc_tiep", 15000),
            ("truc_tuyen", 7000),
        ]
        assert proc.documents[0].form == "CT01"
        s.close()


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"\xff\xfe\x00garbage", "c.json"), (b"{not json", "c.json"), (b"a,b\n1,2", "c.csv"),
     (b'{"x": 1}', "c.json"), (b"hello", "c.txt")],
)  # fmt: skip
def test_unreadable_files_are_refused_plainly(app: Flask, data: bytes, name: str) -> None:
    with app.app_context():
        s = app.extensions["kiosk.sessionmaker"]()
        with pytest.raises(CatalogFormatError):
            import_catalog(s, data, name)
        s.close()


def test_cli_import_reports_and_exits_nonzero(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([GOOD, dict(GOOD, code="9.999999", channels=[])]), encoding="utf-8")
    result = runner.invoke(args=["import-catalog", str(bad)])
    assert result.exit_code != 0
    assert "dòng" in result.output and "9.999999" in result.output
    assert "không nhập thủ tục nào" in result.output
    assert count(app) == 0

    result = runner.invoke(args=["import-catalog", str(DEMO_CATALOG)])
    assert result.exit_code == 0, result.output
    assert "61 thủ tục mới" in result.output
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0 and "cập nhật 61" in result.output
