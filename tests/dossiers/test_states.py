"""Dossier states (mapped to the national portal's), the moves allowed, and dossier codes."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.dossiers import (
    FINISHED,
    LABELS,
    MOVES,
    NATIONAL,
    OPEN,
    PAUSED,
    DossierState,
    TransitionRefused,
    check_move,
    dossier_code,
    parse_code,
)

S = DossierState


def test_every_state_has_its_national_number_and_a_label() -> None:
    assert sorted(NATIONAL.values()) == list(range(1, 11))
    assert set(LABELS) == set(S) == set(MOVES)
    assert PAUSED <= OPEN and not OPEN & FINISHED


def test_the_ordinary_life_of_a_dossier() -> None:
    path = [S.REGISTERED, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT, S.PROCESSING, S.RESOLVED]
    for src, dst in zip(path, path[1:], strict=False):
        reason = "Thiếu bản sao giấy khai sinh" if dst == S.SUPPLEMENT else ""
        assert check_move(src, dst, reason) == dst


@pytest.mark.parametrize(
    ("src", "dst", "why"),
    [
        (S.RETURNED, S.PROCESSING, "không thể chuyển"),
        (S.RESOLVED, S.PROCESSING, "không thể chuyển"),
        (S.REFUSED, S.ACCEPTED, "không thể chuyển"),
        (S.REGISTERED, S.RESOLVED, "không thể chuyển"),
        (S.PROCESSING, S.SUPPLEMENT, "Cần ghi lý do"),
        (S.PROCESSING, S.STOPPED, "Cần ghi lý do"),
        (S.PROCESSING, "<script>", "Không có trạng thái"),
    ],
)
def test_impossible_moves_are_refused_with_a_message(src: str, dst: str, why: str) -> None:
    with pytest.raises(TransitionRefused, match=why):
        check_move(src, dst, "")


def test_finished_dossiers_never_move() -> None:
    for state in FINISHED:
        assert MOVES[state] == frozenset()


def test_dossier_codes() -> None:
    code = dossier_code("000.00.01.H29", dt.date(2024, 1, 15), 1)
    assert code == "000.00.01.H29-240115-0001"
    assert parse_code(code) == ("000.00.01.H29", dt.date(2024, 1, 15), 1)
    assert parse_code(" 000.00.01.h29-240115-0001 ") == ("000.00.01.H29", dt.date(2024, 1, 15), 1)
    assert dossier_code("000.00.01.H29", dt.date(2026, 11, 23), 12345).endswith("-261123-12345")
    for bad in ("", "abc", "000.00.01.H29-241315-0001", "000.00.01.H29-240115-01",
                "'; DROP TABLE dossier; --", "000.00.01.H29-240115-0001" + "9" * 50):  # fmt: skip
        assert parse_code(bad) is None
    with pytest.raises(ValueError):
        dossier_code("H29", dt.date(2024, 1, 15), 1)
    with pytest.raises(ValueError):
        dossier_code("000.00.01.H29", dt.date(2024, 1, 15), 0)
