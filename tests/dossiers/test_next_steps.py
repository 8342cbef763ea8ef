"""What happens next, told to the citizen in every state of the dossier, in the same words on
the status page (`/d/<code>`), the kiosk's receipt screen and the printed receipt: one source,
`dossiers.next_steps` (issue 18 §7). A tester found the status page still saying "come and
collect" after the result had been handed back."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kiosk.domain import dossiers, money
from kiosk.domain.clock import VIETNAM, local
from kiosk.domain.dossiers import DossierState
from kiosk.models import Dossier, User
from tests.builders import CCCD, csrf, receive

S = DossierState
COME = "Khi đến nhận"


def _lines(page: str) -> list[str]:
    """The lines of the page's "what happens next" block, as a citizen reads them."""
    found = re.search(r'data-testid="next-step">(.*?)</div>', page, re.S)
    assert found, "no next-step block"
    return [html.unescape(t) for t in re.findall(r"<p>(.*?)</p>", found.group(1), re.S)]


def test_every_state_says_what_happens_next_in_its_own_words() -> None:
    due = dt.date(2026, 11, 20)
    said = {s: [line.vietnamese() for line in dossiers.next_steps(s, due)] for s in S}
    assert all(said.values())
    # No two states say the same thing.
    assert len({tuple(v) for v in said.values()}) == len(S)
    # Only a dossier with a result still to collect is told to come for it.
    for state in (S.RETURNED, S.REFUSED, S.WITHDRAWN, S.STOPPED):
        assert not any("đến nhận kết quả" in t or COME in t for t in said[state]), state
    assert COME in said[S.RESOLVED][0]
    assert said[S.PROCESSING][-1].startswith("Ngày 20/11/2026: đến nhận kết quả")
    assert "(dự kiến)" in said[S.REGISTERED][-1]
    assert "VietQR" in said[S.AWAITING_PAYMENT][0] and "bổ sung" in said[S.SUPPLEMENT][0]
    late = [t.vietnamese() for t in dossiers.next_steps(S.PROCESSING, due, late=True)]
    assert "quá ngày hẹn 20/11/2026" in late[-1]
    sorry = dossiers.next_steps(S.PROCESSING, dt.date(2026, 11, 27), apologized=True)
    assert "xin lỗi" in sorry[-1].vietnamese() and "27/11/2026" in sorry[-1].vietnamese()
    # The receipt adds how to follow it on a phone; a finished dossier has nothing to follow.
    assert "4 số cuối" in dossiers.next_steps(S.REGISTERED, due, follow=True)[-1].vietnamese()
    assert dossiers.next_steps(S.RETURNED, follow=True) == dossiers.next_steps(S.RETURNED)


def _to(state: str) -> Callable[[Session, Dossier, dict[str, User]], None]:
    def go(s: Session, d: Dossier, staff: dict[str, User]) -> None:
        dossiers.move(s, d, state, staff["processor"], reason="Thiếu bản sao giấy khai sinh")

    return go


def _resolved(s: Session, d: Dossier, staff: dict[str, User]) -> None:
    dossiers.move(s, d, "resolved", staff["processor"])


def _returned(s: Session, d: Dossier, staff: dict[str, User]) -> None:
    _resolved(s, d, staff)
    if d.fee_vnd:  # the fee first: no hand-back while it is owed
        money.record_cash(s, d, staff["officer"], money.due_amount(s, d))
    dossiers.hand_back(s, d, staff["officer"], "Nguyễn Thị Hồng Nhung", CCCD, at_center=True)


def _apologized(s: Session, d: Dossier, staff: dict[str, User]) -> None:
    assert d.due_at is not None
    dossiers.apologize(s, d, staff["processor"], (d.due_at + dt.timedelta(days=14)).date(),
                       "Chờ xác minh của cơ quan khác")  # fmt: skip


#: Each state a citizen may find a dossier in (received at a counter: accepted), the moves that
#: bring it there, and a word of what it must say.
STATES: list[tuple[str, Any, str]] = [
    ("accepted", None, "đang chờ giải quyết"),
    ("processing", _to("processing"), "đang được giải quyết"),
    ("supplement", _to("supplement"), "Cần bổ sung hồ sơ"),
    ("stopped", _to("stopped"), "dừng giải quyết"),
    ("withdrawn", _to("withdrawn"), "đã được rút"),
    ("resolved", _resolved, "Đã có kết quả"),
    ("returned", _returned, "Đã trả kết quả"),
    ("apology", _apologized, "xin lỗi ông/bà và hẹn lại ngày"),
]


@pytest.mark.parametrize(("state", "moves", "words"), STATES, ids=[s[0] for s in STATES])
def test_the_status_page_follows_the_dossier_in_every_state(
    client: FlaskClient, session: Session, staff: dict[str, User],
    state: str, moves: Any, words: str,
) -> None:  # fmt: skip
    got = receive(session, staff)
    d = got.dossier
    if moves is not None:
        moves(session, d, staff)
    session.refresh(d)
    token = csrf(client, f"/d/{d.code}")
    page = client.post(f"/d/{d.code}", data={"csrf_token": token, "verify": CCCD[-4:]})
    assert page.status_code == 200
    lines = _lines(page.get_data(as_text=True))
    assert any(words in line for line in lines), lines
    if state in ("returned", "stopped", "withdrawn"):
        assert not any(COME in line or "đến nhận kết quả" in line for line in lines), lines
    # The page says exactly the domain's words for the state.
    promised = dossiers.promised(d)
    expected = dossiers.next_steps(
        d.status, local(promised, VIETNAM).date() if promised else None,
        apologized=d.promised_at is not None, late=dossiers.progress(d) == "overdue",
    )  # fmt: skip
    assert lines == [line.vietnamese() for line in expected]


def test_a_refused_dossier_is_not_asked_to_come_back(
    client: FlaskClient, session: Session, staff: dict[str, User]
) -> None:
    # Refused is a move out of "registered" (filed online, not yet accepted).
    d = receive(session, staff).dossier
    d.status = "registered"
    session.commit()
    dossiers.move(session, d, "refused", staff["processor"], reason="Không thuộc thẩm quyền")
    token = csrf(client, f"/d/{d.code}")
    page = client.post(f"/d/{d.code}", data={"csrf_token": token, "verify": CCCD[-4:]})
    lines = _lines(page.get_data(as_text=True))
    assert lines == [t.vietnamese() for t in dossiers.next_steps("refused")]
    assert "không được tiếp nhận" in lines[0]
