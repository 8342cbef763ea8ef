"""The staff's screens as new staff meet them (issue 19): the hand-back as the domain's one
rule (receiver, ID checked, by whom, where; shown on every timeline, masked for the citizen),
moves named as actions from the one table, the office's search and marks, the agent portal's
sign-in, scan box, papers and result, and the staff's own error page."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain import dossiers
from kiosk.domain.dossiers import uploads
from kiosk.domain.dossiers.states import (
    ACTIONS,
    DossierState,
    TransitionRefused,
    check_move,
    moves_now,
)
from kiosk.domain.text import fold, fold_letters
from kiosk.models import Dossier, DossierEvent, Upload, User
from tests.builders import (
    APPLICANT,
    LLTP,
    SCAN,
    agent_upload,
    csrf,
    fee_paid,
    file_as,
    file_lltp,
    form_data,
    receive_at_counter,
    sample_pdf,
    sign_in,
    token_for,
    upload_as,
    valid,
)

S = DossierState
NHUNG_CCCD = "064185001234"


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


def _resolved_by_agent(
    api: FlaskClient, branches: dict[str, dict[str, str]], session: Session | None = None
) -> str:
    """A dossier BIDV's agent filed, accepted, processed and resolved with its result; its
    fee (200.000 đ) taken in cash by the agent when `session` is given, else still owed."""
    bidv, center = branches["dl-bidv"], branches["xuly"]
    code = str(file_as(api, bidv, upload_as(api, bidv)).get_json()["code"])
    url = f"/api/v1/dossiers/{code}/transitions"
    for to in ("accepted", "processing"):
        assert api.post(url, json={"to": to}, headers=center).status_code == 200
    r = api.post(url, json={"to": "resolved", "result_upload_id": upload_as(api, center)},
                 headers=center)  # fmt: skip
    assert r.status_code == 200
    if session is not None:
        fee_paid(session, code, "dl-bidv")
    return code


# ---------------------------------------------------------------- the rule, in the domain


def test_moves_are_named_as_actions_and_only_those_that_make_sense_now() -> None:
    got = moves_now(S.REGISTERED, accepted_before=False)
    assert [(m.to, m.label) for m in got] == [
        (S.ACCEPTED, "Tiếp nhận"), (S.REFUSED, "Từ chối tiếp nhận"),
        (S.SUPPLEMENT, "Trả lại, yêu cầu bổ sung"), (S.WITHDRAWN, "Ghi nhận công dân rút hồ sơ"),
    ]  # fmt: skip
    assert [m.needs_reason for m in got] == [False, True, True, True]
    # No payment request once nothing is owed; offered while the fee is owed.
    assert S.AWAITING_PAYMENT not in {m.to for m in moves_now(S.PROCESSING, fee_owed=0)}
    assert S.AWAITING_PAYMENT in {m.to for m in moves_now(S.PROCESSING, fee_owed=200_000)}
    # Waiting for the fee: going on only once it is paid, and named as going on.
    assert moves_now(S.AWAITING_PAYMENT, fee_owed=200_000)[0].to != S.PROCESSING
    resume = moves_now(S.AWAITING_PAYMENT, fee_owed=0)[0]
    assert (resume.to, resume.label) == (S.PROCESSING, "Tiếp tục xử lý")
    # After a supplement: an accepted dossier goes on, one never accepted is accepted.
    assert S.ACCEPTED not in {m.to for m in moves_now(S.SUPPLEMENT, accepted_before=True)}
    assert S.PROCESSING not in {m.to for m in moves_now(S.SUPPLEMENT, accepted_before=False)}
    # The result handed back is its own step, never a one-click move.
    assert moves_now(S.RESOLVED) == []
    with pytest.raises(TransitionRefused, match="ghi người nhận"):
        check_move(S.RESOLVED, S.RETURNED)
    assert set(ACTIONS) == set(S) - {S.REGISTERED}


def test_the_hand_back_records_receiver_id_and_place_and_the_citizen_reads_it_masked(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:
    code = _resolved_by_agent(client, branches, session)
    d = dossiers.find(session, code)
    assert d is not None
    officer = session.scalar(select(User).where(User.username == "canbo"))
    agent = session.scalar(select(User).where(User.username == "dl-bidv"))
    assert officer is not None and agent is not None
    # The ID checked is a CCCD by its rules (or a passport by its shape).
    with pytest.raises(TransitionRefused, match="Ba số đầu"):
        dossiers.hand_back(session, d, agent, "Nguyễn Thị Hồng Nhung", "999185001234")
    with pytest.raises(TransitionRefused, match="hộ chiếu"):
        dossiers.hand_back(session, d, agent, "Nguyễn Thị Hồng Nhung", "12", id_kind="passport")
    # An agent's dossier is handed back at its branch: the center only when the citizen
    # comes there.
    with pytest.raises(TransitionRefused, match="điểm đại lý BIDV-GL"):
        dossiers.hand_back(session, d, officer, "Nguyễn Thị Hồng Nhung", NHUNG_CCCD)
    assert d.status == S.RESOLVED
    dossiers.hand_back(session, d, agent, " Nguyễn  Thị Hồng Nhung ", "0641 8500 1234")
    last = d.events[-1]
    assert d.status == S.RETURNED and last.to_status == S.RETURNED
    assert (last.receiver_name, last.receiver_id_kind, last.receiver_id_number, last.place) == (
        "Nguyễn Thị Hồng Nhung", "cccd", NHUNG_CCCD, "branch:BIDV-GL")  # fmt: skip
    staff = dossiers.timeline(d)[-1]
    assert NHUNG_CCCD in staff.note and "BIDV Chi nhánh Gia Lai" in staff.note
    assert staff.by == "Đại lý BIDV" and "Đại lý BIDV" in staff.note
    citizen = dossiers.timeline(d, citizen=True)[-1]
    assert NHUNG_CCCD not in citizen.note and "••••••••••34" in citizen.note
    assert "Nguyễn Thị Hồng Nhung" in citizen.note and citizen.by == ""
    # Shown wherever the dossier is: the citizen's status page (masked), the agent's page,
    # the office's page and the API for staff (whole).
    public = floor.test_client()
    token = csrf(public, f"/d/{code}")
    page = text(public.post(f"/d/{code}", data={"csrf_token": token, "verify": "1234"}))
    assert "Người nhận: Nguyễn Thị Hồng Nhung" in page and NHUNG_CCCD not in page
    agent_client = floor.test_client()
    sign_in(agent_client, "dl-bidv", "mat-khau-dai-9")
    assert NHUNG_CCCD in text(agent_client.get(f"/agent/dossiers/{code}")).split("Quá trình")[-1]
    office = floor.test_client()
    sign_in(office, "canbo", "mat-khau-dai-1")
    assert "Người nhận: Nguyễn Thị Hồng Nhung" in text(office.get(f"/office/dossiers/{code}"))
    body = client.get(f"/api/v1/dossiers/{code}", headers=branches["xuly"]).get_json()
    assert NHUNG_CCCD in body["timeline"][-1]["note"]
    verified = client.get(f"/api/v1/dossiers/{code}?verify=1234").get_json()
    assert NHUNG_CCCD not in str(verified)


def test_a_bank_system_hands_the_result_back_through_the_api(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:
    """`{"to": "returned", "receiver": ...}` on the transitions endpoint is the same one rule:
    422 naming the field for a wrong receiver or ID, 409 where the rule refuses, 404 for
    another branch's dossier, 403 for an account without the right."""
    code = _resolved_by_agent(client, branches, session)
    url = f"/api/v1/dossiers/{code}/transitions"
    bidv = branches["dl-bidv"]
    nhung = {"name": "Nguyễn Thị Hồng Nhung", "id_kind": "cccd", "id_number": NHUNG_CCCD}

    def post(body: dict[str, Any], headers: dict[str, str], status: int) -> dict[str, Any]:
        r = client.post(url, json={"to": "returned", **body}, headers=headers)
        got: dict[str, Any] = r.get_json()
        assert r.status_code == status, got
        valid(got, "/dossiers/{code}/transitions", "post", status)
        return got

    # Another branch's dossier reads as missing.
    assert post({"receiver": nhung}, branches["dl-agr"], 404)["error"]["code"] == "not_found"
    # What was told wrong: 422, the field named.
    for body, field, words in (
        ({"receiver": {**nhung, "name": ""}}, "receiver.name", "Ghi họ tên người nhận"),
        ({"receiver": {**nhung, "name": " "}}, "receiver.name", "Ghi họ tên người nhận"),
        ({"receiver": {**nhung, "id_number": "999185001234"}}, "receiver.id_number", "Ba số đầu"),
        ({"receiver": {**nhung, "id_number": ""}}, "receiver.id_number", "Ghi số giấy tờ"),
        ({"receiver": {**nhung, "id_kind": "bang_lai"}}, "receiver.id_kind", "CCCD hoặc hộ chiếu"),
        ({"receiver": {**nhung, "id_kind": "passport"}}, "receiver.id_number", "hộ chiếu"),
        ({"receiver": nhung, "place": "nha_rieng"}, "place", "center"),
        ({"receiver": {**nhung, "name": "B"}}, "receiver.name", "ghi đủ họ và tên"),
        ({"receiver": {**nhung, "name": "Nguyễn Văn 3"}}, "receiver.name", "chỉ gồm chữ cái"),
    ):  # fmt: skip
        got = post(body, bidv, 422)["error"]
        assert got["code"] == "invalid" and list(got["fields"]) == [field], body
        assert words in got["fields"][field] and got["message"] == got["fields"][field]
    # Every error at once, each by its field.
    assert sorted(post({}, bidv, 422)["error"]["fields"]) == ["receiver.id_number", "receiver.name"]
    got = post({"receiver": {"name": "B", "id_kind": "bang_lai", "id_number": ""},
                "place": "nha_rieng"}, bidv, 422)["error"]  # fmt: skip
    assert sorted(got["fields"]) == [
        "place", "receiver.id_kind", "receiver.id_number", "receiver.name"]  # fmt: skip
    for bad in ({"receiver": "Nhung"}, {"receiver": {**nhung, "id_number": 64185001234}}):
        assert post(bad, bidv, 400)["error"]["code"] == "bad_request"
    # What the rule refuses: 409 with its reason; nothing recorded.
    got = post({"receiver": nhung, "place": "center"}, bidv, 409)["error"]
    assert "tại điểm đại lý BIDV-GL, không phải tại trung tâm" in got["message"]
    officer = {"Authorization": f"Bearer {token_for(floor, 'canbo')}"}
    assert "điểm đại lý BIDV-GL" in post({"receiver": nhung}, officer, 409)["error"]["message"]
    assert post({"receiver": nhung}, branches["xuly"], 403)["error"]["code"] == "forbidden"
    d = dossiers.find(session, code)
    assert d is not None and d.status == S.RESOLVED
    # The branch's system hands it back: recorded as the office's and the portal's button do.
    body = post({"receiver": {**nhung, "id_number": "0641 8500 1234"}}, bidv, 200)
    assert body["status"] == "returned"
    assert body["timeline"][-1]["note"].startswith(
        f"Người nhận: Nguyễn Thị Hồng Nhung, đã kiểm tra CCCD số {NHUNG_CCCD}"
    )
    session.expire_all()
    last = session.scalars(
        select(DossierEvent).where(DossierEvent.to_status == S.RETURNED)
    ).one()  # fmt: skip
    assert (last.receiver_name, last.receiver_id_kind, last.receiver_id_number, last.place) == (
        "Nguyễn Thị Hồng Nhung", "cccd", NHUNG_CCCD, "branch:BIDV-GL")  # fmt: skip
    assert last.actor_name == "Đại lý BIDV"
    again = post({"receiver": nhung}, bidv, 409)["error"]["message"]
    assert "chưa có kết quả để trả" in again
    # At the center, when the citizen came there: the center's officer names the place.
    other = _resolved_by_agent(client, branches, session)
    r = client.post(f"/api/v1/dossiers/{other}/transitions", headers=officer, json={
        "to": "returned", "place": "center",
        "receiver": {"name": "Trần Văn Bình", "id_kind": "passport", "id_number": "c1234567"},
    })  # fmt: skip
    assert r.status_code == 200, r.get_json()
    assert "hộ chiếu số C1234567, tại trung tâm" in r.get_json()["timeline"][-1]["note"]


# ---------------------------------------------------------------- the office


@pytest.fixture
def office(floor: Flask, branches: dict[str, dict[str, str]]) -> FlaskClient:
    return floor.test_client()


def test_the_officers_dossier_page_offers_actions_with_one_reason_box(
    client: FlaskClient, office: FlaskClient, branches: dict[str, dict[str, str]]
) -> None:
    bidv = branches["dl-bidv"]
    code = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    sign_in(office, "xuly", "mat-khau-dai-4")
    page = text(office.get(f"/office/dossiers/{code}"))
    buttons = re.findall(r'name="to" value="(\w+)" data-move="\w+">([^<]+)<', page)
    assert [(to, label.strip()) for to, label in buttons] == [
        ("accepted", "Tiếp nhận"), ("refused", "Từ chối tiếp nhận"),
        ("supplement", "Trả lại, yêu cầu bổ sung"), ("withdrawn", "Ghi nhận công dân rút hồ sơ"),
    ]  # fmt: skip
    assert page.count('name="reason"') == 1
    assert "Đã trả kết quả" not in page and "Chờ thanh toán phí, lệ phí" not in page
    # Who filed it, and the worklist marks it as the agent's.
    assert 'data-testid="filed-by">Đại lý Đại lý BIDV (điểm đại lý BIDV Chi nhánh Gia Lai)' in page
    listing = text(office.get("/office/dossiers"))
    assert 'data-testid="by-agent">Đại lý BIDV-GL' in listing
    # A refusal without its reason is refused, with the action's name.
    token = csrf(office, f"/office/dossiers/{code}")
    office.post(f"/office/dossiers/{code}/move", data={"csrf_token": token, "to": "refused"})
    assert "Cần ghi lý do" in text(office.get(f"/office/dossiers/{code}"))
    r = office.post(f"/office/dossiers/{code}/move",
                    data={"csrf_token": token, "to": "accepted", "reason": ""})  # fmt: skip
    assert r.status_code == 303
    page = text(office.get(f"/office/dossiers/{code}"))
    assert 'data-move="processing">Chuyển xử lý' in page
    # The fee of the judicial record is owed: asking for it is offered.
    assert "Yêu cầu nộp phí, lệ phí" in page


def test_who_filed_it_is_said_in_the_officers_language(
    client: FlaskClient, office: FlaskClient, branches: dict[str, dict[str, str]]
) -> None:
    bidv = branches["dl-bidv"]
    by_agent = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    online = file_lltp(client).get_json()["code"]
    sign_in(office, "xuly", "mat-khau-dai-4")
    office.get("/lang/en")
    page = text(office.get(f"/office/dossiers/{by_agent}"))
    assert 'data-testid="filed-by">Agent Đại lý BIDV (điểm đại lý BIDV Chi nhánh Gia Lai)' in page
    page = text(office.get(f"/office/dossiers/{online}"))
    assert 'data-testid="filed-by">Filed online by the citizen (kiosk, public service portal)' in (
        page
    )
    office.get("/lang/vi")
    page = text(office.get(f"/office/dossiers/{online}"))
    assert 'data-testid="filed-by">Công dân tự nộp trực tuyến (kiosk, cổng dịch vụ công)' in page


def test_the_name_search_ignores_case_and_marks_on_both_engines(
    client: FlaskClient, session: Session
) -> None:
    """ "ĐỖ", "đỗ" and "do" find "Đỗ" on SQLite as on PostgreSQL: the name is folded the same
    way on both (`text.fold_letters`); a name typed decomposed (NFD) is found too."""
    names = ("Đỗ Thị Ánh", "ĐỖ VĂN BÌNH", "Nguyễn Thị Hồng Nhung", "Lê Đức Ưng")
    codes = {}
    for name in names:
        r = file_lltp(client, applicant={**APPLICANT, "full_name": name})
        assert r.status_code == 201, r.get_json()
        codes[name] = r.get_json()["code"]

    def found(q: str) -> set[str]:
        by_code = {c: n for n, c in codes.items()}
        return {by_code[d.code] for d in dossiers.search(session, q)}

    do = {"Đỗ Thị Ánh", "ĐỖ VĂN BÌNH"}
    for q in ("ĐỖ", "đỗ", "Đỗ", "do", "DO", "Đô", unicodedata.normalize("NFD", "đỗ")):
        assert found(q) == do, q
    for q in ("THỊ ÁNH", "thi anh", "ánh"):
        assert found(q) == {"Đỗ Thị Ánh"}, q
    assert found("văn bình") == found("Van Binh") == {"ĐỖ VĂN BÌNH"}
    assert found("HỒNG NHUNG") == found("hong nhung") == {"Nguyễn Thị Hồng Nhung"}
    assert found("thị") == {"Đỗ Thị Ánh", "Nguyễn Thị Hồng Nhung"}
    assert found("ĐỨC ƯNG") == found("duc ung") == {"Lê Đức Ưng"}
    assert found("Trần") == set() and found("%") == set() and found("_ _") == set()
    # The fold is the catalog's, letter by letter.
    for letter in "aáàảãạăắằẳẵặâấầẩẫậđeéèẻẽẹêếềểễệiíìỉĩịoóòỏõọôốồổỗộơớờởỡợuúùủũụưứừửữựyýỳỷỹỵ":
        assert fold_letters(letter) == fold_letters(letter.upper()) == fold(letter), letter


def test_the_officer_finds_a_dossier_by_code_name_or_cccd(
    client: FlaskClient, office: FlaskClient, branches: dict[str, dict[str, str]]
) -> None:
    bidv = branches["dl-bidv"]
    code = file_as(client, bidv, upload_as(client, bidv)).get_json()["code"]
    sign_in(office, "xuly", "mat-khau-dai-4")
    for q in (code, code[-11:], "Hồng Nhung", "nguyễn thị", NHUNG_CCCD, "1234"):
        page = text(office.get("/office/dossiers", query_string={"q": q}))
        assert code in page, q
    page = text(office.get("/office/dossiers", query_string={"q": "Không Có Ai"}))
    assert code not in page and "Tìm thấy 0 hồ sơ" in page


def test_the_counter_hands_back_at_the_center_only_when_the_citizen_came_there(
    client: FlaskClient, office: FlaskClient, branches: dict[str, dict[str, str]],
    session: Session,
) -> None:  # fmt: skip
    code = _resolved_by_agent(client, branches, session)
    sign_in(office, "canbo", "mat-khau-dai-1")
    page = text(office.get(f"/office/dossiers/{code}"))
    assert "Nơi trả kết quả:" in page and "điểm đại lý BIDV Chi nhánh Gia Lai" in page
    assert 'name="at_center"' in page
    token = csrf(office, f"/office/dossiers/{code}")
    form = {"csrf_token": token, "receiver": "Nguyễn Thị Hồng Nhung", "id_kind": "cccd",
            "id_checked": NHUNG_CCCD}  # fmt: skip
    # The form comes back with the reason beside the box, and what was typed.
    again = office.post(f"/office/dossiers/{code}/hand-back", data=form)
    assert again.status_code == 422 and "kết quả trả tại đó" in text(again)
    assert f'value="{NHUNG_CCCD}"' in text(again)
    office.post(f"/office/dossiers/{code}/hand-back", data={**form, "at_center": "on"})
    d = session.scalar(select(Dossier).where(Dossier.code == code))
    assert d is not None
    session.refresh(d)
    assert d.status == S.RETURNED and d.events[-1].place == "center"
    # The processing officer resolves but does not hand back.
    sign_in(office, "xuly", "mat-khau-dai-4")
    token = csrf(office, f"/office/dossiers/{code}")
    r = office.post(f"/office/dossiers/{code}/hand-back", data={**form, "csrf_token": token})
    assert r.status_code == 403


def test_after_receiving_at_a_counter_the_way_back_and_the_papers_on_paper(
    floor: Flask, session: Session, branches: dict[str, dict[str, str]]
) -> None:

    office = floor.test_client()
    code = receive_at_counter(office, session)
    page = text(office.get(f"/office/dossiers/{code}"))
    assert 'data-testid="back-to-counter"' in page and "công dân vẫn đang được phục vụ" in page
    on_paper = page.split('data-testid="on-paper"')[1].split("</ul>")[0]
    assert on_paper.count("✔") == 2
    assert "Cán bộ Nguyễn Thị Hoa tiếp nhận tại quầy" in page


# ---------------------------------------------------------------- the agent portal


def test_the_agent_signs_in_from_the_catalog_and_scans_the_card(
    floor: Flask, branches: dict[str, dict[str, str]]
) -> None:
    agent = floor.test_client()
    home = text(agent.get("/agent/"))
    assert 'data-testid="agent-sign-in"' in home, home[:3000]
    assert "/office/login?next=/agent/dossiers" in home
    # Titled by its surface: bank agents are not officers.
    login = text(agent.get("/office/login?next=/agent/dossiers"))
    assert "<title>Đăng nhập đại lý dịch vụ công" in login and "cán bộ" not in login
    assert 'data-testid="sign-in-title">Đăng nhập đại lý dịch vụ công<' in login
    officers = text(agent.get("/office/login?next=/office/dossiers"))
    assert 'data-testid="sign-in-title">Đăng nhập cán bộ<' in officers
    # The brand leads back to the surface that sent here.
    assert 'class="brand" href="/agent/"' in login
    assert 'class="brand" href="/office/"' in officers
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    form = text(agent.get("/agent/file/3.000333"))
    assert 'class="scan-input"' in form and "/agent/file/3.000333/scan" in form
    token = csrf(agent, "/agent/file/3.000333")
    page = text(agent.post("/agent/file/3.000333/scan",
                           data={"csrf_token": token, "scan": SCAN, "consent": "abc"}))  # fmt: skip
    assert 'value="Nguyễn Thị Hồng Nhung"' in page and f'value="{NHUNG_CCCD}"' in page
    assert 'name="consent" value="abc"' in page  # nothing typed is lost
    bad = text(agent.post("/agent/file/3.000333/scan", data={"csrf_token": token, "scan": "x"}))
    assert "Không đọc được mã trên thẻ" in bad


def test_the_agents_empty_filing_form_shows_every_error_at_once(
    floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:
    """An empty form: the missing authorization, the name, the CCCD and the form's required
    fields each said beside its own box, on the one answer (the authorization is not said
    instead of the rest); nothing is filed."""
    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    token = csrf(agent, "/agent/file/1.004222")
    r = agent.post("/agent/file/1.004222",
                   data={"csrf_token": token, "idempotency_key": uuid.uuid4().hex})  # fmt: skip
    page = text(r)
    assert r.status_code == 422
    for words in ("Tải lên giấy ủy quyền đã ký trước khi nộp.", "Nhập họ và tên người nộp.",
                  "Số căn cước"):  # fmt: skip
        assert words in page, words
    assert page.count('class="field-error"') >= 5
    assert session.scalar(select(Dossier).where(Dossier.agent_id.is_not(None))) is None


def test_the_agents_page_counts_papers_names_the_authorization_and_opens_the_result(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:
    code = _resolved_by_agent(client, branches)
    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    page = text(agent.get(f"/agent/dossiers/{code}"))
    assert 'data-testid="papers">2 tệp' in page  # the authorization and the result are not
    assert "giay_uy_quyen" not in page and "Giấy ủy quyền" in page
    link = re.search(r'data-testid="open-result" href="([^"]+)"', page)
    assert link is not None
    result = agent.get(link.group(1))
    assert result.status_code == 200 and result.mimetype == "application/pdf"
    assert result.data.startswith(b"%PDF-")
    result.close()
    other = floor.test_client()
    sign_in(other, "dl-agr", "mat-khau-dai-9")
    assert other.get(link.group(1)).status_code == 404
    # The papers open too, as at the office: the branch's own dossier's only.
    papers = re.findall(r'data-testid="paper-link" href="([^"]+)"', page)
    assert len(papers) == 2
    for url in papers:
        opened = agent.get(url)
        assert opened.status_code == 200 and opened.data.startswith(b"%PDF-")
        opened.close()
        assert other.get(url).status_code == 404
    # Not the authorization nor the result by that way, nor an upload of another dossier.
    folder = papers[0].rsplit("/", 1)[0]
    d = dossiers.find(session, code)
    assert d is not None
    kept = session.scalars(select(Upload).where(Upload.dossier_id == d.id)).all()
    for u in kept:
        if u.document_name in (uploads.CONSENT, uploads.RESULT):
            assert agent.get(f"{folder}/{u.id}").status_code == 404
    assert agent.get(f"{folder}/no-such-upload").status_code == 404
    anonymous = floor.test_client()
    assert anonymous.get(papers[0]).status_code in (302, 303)


# ---------------------------------------------------------------- the staff's error page


def test_staff_get_a_staff_error_page(floor: Flask, branches: dict[str, dict[str, str]]) -> None:
    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    missing = f"/agent/dossiers/000.00.01.H29-991231-{uuid.uuid4().int % 10000:04d}"
    r = agent.get(missing)
    page = text(r)
    assert r.status_code == 404 and "ông/bà" not in page
    assert "office.css" in page and "Hồ sơ của chi nhánh" in page
    officer = floor.test_client()
    sign_in(officer, "canbo", "mat-khau-dai-1")
    r = officer.get("/office/reports")
    assert r.status_code == 403 and "ông/bà" not in text(r) and "office.css" in text(r)
    # A citizen's 404 stays the kiosk's.
    assert "Trang ông/bà tìm" in text(floor.test_client().get("/kiosk/nothing-here"))


def test_staff_dates_read_day_month_year_whatever_the_browser(
    floor: Flask, session: Session, branches: dict[str, dict[str, str]]
) -> None:

    import datetime as dt

    from kiosk.domain.clock import utcnow

    office = floor.test_client()
    code = receive_at_counter(office, session)
    d = dossiers.find(session, code)
    assert d is not None
    d.due_at = utcnow() + dt.timedelta(hours=3)  # due soon: the apology (and its date) offered
    session.commit()
    sign_in(office, "xuly", "mat-khau-dai-4")
    page = text(office.get(f"/office/dossiers/{code}"))
    assert 'type="date"' not in page and 'name="new_date" inputmode="numeric"' in page
    assert re.search(r"<time>\d\d:\d\d \d\d/\d\d/\d{4}</time>", page)


# ---------------------------------------------------------------- the reduced fee


def test_the_agent_charges_the_catalogs_reduced_fee_and_the_receipts_say_why(
    floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:
    import datetime as dt

    from kiosk.domain.printing import render as render_job
    from kiosk.models import PrintJob
    from printers import layouts, to_escpos
    from printers.reader import read_escpos

    why = "Sinh viên, người có công với cách mạng, thân nhân liệt sĩ"
    agent = floor.test_client()
    sign_in(agent, "dl-bidv", "mat-khau-dai-9")
    page = text(agent.get(f"/agent/file/{LLTP}"))
    assert 'name="fee_rule" value="1"' in page and why in page and "200.000" in page
    token = csrf(agent, f"/agent/file/{LLTP}")
    ids = [agent_upload(agent, token, b) for b in (sample_pdf(), sample_pdf())]
    consent = agent_upload(agent, token, sample_pdf())
    filled = {**form_data(token, ids, idempotency_key="agent-fee"), "consent": consent}
    bad = agent.post(f"/agent/file/{LLTP}", data={**filled, "fee_rule": "7"})
    assert bad.status_code == 422 and "Chọn một mức phí của thủ tục." in text(bad)
    # The reduced fee needs its proof, one more paper: refused in Vietnamese without it, with
    # what was typed kept.
    assert 'name="doc.fee"' in page and "Giấy tờ chứng minh được giảm phí" in page
    bare = agent.post(f"/agent/file/{LLTP}", data={**filled, "fee_rule": "1"})
    assert bare.status_code == 422 and dossiers.FEE_PROOF_MISSING in text(bare)
    assert 'value="Nguyễn Thị Hồng Nhung"' in text(bare) and 'value="1" checked' in text(bare)
    proof = agent_upload(agent, token, sample_pdf())
    done = agent.post(f"/agent/file/{LLTP}", data={**filled, "fee_rule": "1", "doc.fee": proof})
    assert done.status_code == 303, text(done)[-2000:]
    d = session.scalar(select(Dossier))
    assert d is not None and (d.fee_vnd, d.fee_reason) == (100_000, why)
    kept = session.scalars(select(Upload.document_name).where(Upload.dossier_id == d.id))
    assert "giay_to_giam_phi" in set(kept)
    # The rule and its reason wherever the fee is shown: the agent's page, the office's, the
    # citizen's status page.
    shown = text(agent.get(f"/agent/dossiers/{d.code}"))
    assert "Mức phí giảm: " + why in shown and "Giấy tờ chứng minh được giảm phí" in shown
    office = floor.test_client()
    sign_in(office, "xuly", "mat-khau-dai-4")
    at_office = text(office.get(f"/office/dossiers/{d.code}"))
    assert "Mức phí giảm: " + why in at_office
    assert "Giấy tờ chứng minh được giảm phí" in at_office
    phone = floor.test_client()
    token_d = csrf(phone, f"/d/{d.code}")
    status = phone.post(f"/d/{d.code}", data={"csrf_token": token_d, "verify": "1234"})
    assert "Mức phí giảm: " + why in text(status)
    cash = agent.post(f"/agent/dossiers/{d.code}/cash",
                      data={"csrf_token": token, "amount": "100.000"})  # fmt: skip
    assert cash.status_code == 303
    jobs = {j.kind: j for j in session.scalars(select(PrintJob))}
    for kind in ("receipt", "cash"):
        spec = jobs[kind].layout
        assert why in spec, kind
    # The receipt's bytes are the layout's with the reason, byte for byte, and not those of
    # the paper without it, which is shorter by the reason's line.
    import json

    from printers.profiles import profile_width

    raw = render_job(jobs["receipt"])
    data = json.loads(jobs["receipt"].layout)["data"]
    data["received_at"] = dt.datetime.fromisoformat(data["received_at"])
    data["due_date"] = dt.date.fromisoformat(data["due_date"])
    width, profile = profile_width(jobs["receipt"].profile), jobs["receipt"].profile
    assert raw == to_escpos(layouts.receipt(layouts.ReceiptData(**data), width), profile)
    plain = layouts.ReceiptData(**{**data, "fee_reason": ""})
    shorter = read_escpos(to_escpos(layouts.receipt(plain, width), profile)).image
    assert read_escpos(raw).image.height > shorter.height


def test_a_paper_received_at_the_counter_needs_no_answer_to_the_reuse_offer(
    session: Session,
) -> None:
    """The counter offers the citizen's digitized papers of an earlier dossier; when the
    officer ticks the paper itself as received, the offer left unanswered refuses nothing."""
    from werkzeug.datastructures import MultiDict

    from kiosk import dossier_form
    from kiosk.domain import catalog

    proc = catalog.get_procedure(session, "3.000333")
    assert proc is not None
    offered = MultiDict({"reuse.0": str(uuid.uuid4()), "reuse.1": str(uuid.uuid4())})
    assert set(dossier_form.read(offered, proc).errors) == {
        f"documents.{d.name}" for d in proc.documents[:2]
    }
    offered.update({"paper.0": "on", "paper.1": "on"})
    posted = dossier_form.read(offered, proc)
    assert posted.errors == {} and len(posted.on_paper) == 2


def test_a_reduced_fee_at_the_counter_needs_its_proof_uploaded_or_received_on_paper(
    floor: Flask, session: Session
) -> None:
    """The proof of a reduced fee is one more paper wherever the fee is chosen: at a counter
    the officer may tick it as received on paper; without it the dossier is refused in
    Vietnamese; with the general fee a proof given by mistake refuses nothing."""
    from kiosk.domain import catalog
    from kiosk.domain.dossiers import uploads

    officer = session.scalar(select(User).where(User.username == "canbo"))
    proc = catalog.get_procedure(session, LLTP)
    assert proc is not None and officer is not None
    applicant = dossiers.Applicant("Trần Văn Bình", "052090001234", None, "Nam", "")

    def counter(fee_rule: int, on_paper: tuple[str, ...] = ()) -> Any:
        return dossiers.receive(session, proc, applicant, channel="direct",
                                site_code="000.00.01.H29", actor=officer, fee_rule=fee_rule,
                                papers=dossiers.Papers(on_paper=on_paper))  # fmt: skip

    with pytest.raises(dossiers.DossierError) as refused:
        counter(1)
    assert refused.value.errors == {f"documents.{uploads.FEE_PROOF}": dossiers.FEE_PROOF_MISSING}
    got = counter(1, (uploads.FEE_PROOF,)).dossier
    assert got.fee_vnd == 100_000 and uploads.FEE_PROOF in got.on_paper
    plain = counter(0, (uploads.FEE_PROOF,)).dossier
    assert plain.fee_vnd == 200_000 and plain.fee_reason == ""
    assert uploads.FEE_PROOF not in plain.on_paper


def _hand_back_form(page: str) -> str:
    return page.split('class="move-form hand-back-form"')[1].split("</form>")[0]


@pytest.mark.parametrize("surface", ["office", "agent"])
def test_the_hand_back_form_is_checked_by_the_server_in_vietnamese_beside_its_fields(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session,
    surface: str,
) -> None:  # fmt: skip
    """No `required` popup (the browser's language): the server's message stands next to
    the field that is wrong, and what was typed is kept."""
    code = _resolved_by_agent(client, branches, session)
    staff = floor.test_client()
    if surface == "office":
        sign_in(staff, "canbo", "mat-khau-dai-1")
        url, extra = f"/office/dossiers/{code}", {"at_center": "on"}
    else:
        sign_in(staff, "dl-bidv", "mat-khau-dai-9")
        url, extra = f"/agent/dossiers/{code}", {"back": "page"}
    form = _hand_back_form(text(staff.get(url)))
    assert " required" not in form and form.count('aria-required="true"') == 2
    assert "novalidate" in text(staff.get(url)).split('class="move-form hand-back-form"')[1][:40]
    token = csrf(staff, url)
    cases = (
        ({"receiver": "", "id_checked": NHUNG_CCCD}, "Ghi họ tên người nhận kết quả."),
        ({"receiver": "Nguyễn Thị Hồng Nhung", "id_checked": ""},
         "Ghi số giấy tờ tùy thân đã kiểm tra"),
        ({"receiver": "Nguyễn Thị Hồng Nhung", "id_checked": "12", "id_kind": "passport"},
         "Số hộ chiếu gồm một chữ cái"),
        ({"receiver": "B", "id_checked": NHUNG_CCCD}, "Họ tên người nhận: ghi đủ họ và tên"),
        # Both empty: both messages, each beside its field.
        ({"receiver": "", "id_checked": ""}, "Ghi họ tên người nhận kết quả."),
    )  # fmt: skip
    for given, message in cases:
        data = {"csrf_token": token, "id_kind": "cccd", **extra, **given}
        r = staff.post(url + "/hand-back", data=data)
        shown = _hand_back_form(text(r))
        assert r.status_code == 422 and message in shown, (given, text(r)[-1500:])
        if not given["receiver"] and not given["id_checked"]:
            assert "Ghi số giấy tờ tùy thân đã kiểm tra" in shown
            assert shown.count('role="alert"') == 2 and shown.count('aria-invalid="true"') == 2
        assert 'role="alert"' in shown and 'aria-invalid="true"' in shown
        assert f'value="{given["receiver"]}"' in shown and f'value="{given["id_checked"]}"' in shown
        if given.get("id_kind") == "passport":
            assert '<option value="passport" selected>' in shown
    d = dossiers.find(session, code)
    assert d is not None and d.status == S.RESOLVED


@pytest.mark.parametrize("surface", ["office", "agent"])
def test_no_hand_back_while_the_fee_is_owed_the_fee_comes_first(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session,
    surface: str,
) -> None:  # fmt: skip
    """200.000 đ owed, nothing collected, the result ready: the domain refuses the hand-back
    (the office, the portal and the API alike), the page offers collecting the fee above the
    form, and the citizen's page never says both "unpaid" and "handed back"."""
    code = _resolved_by_agent(client, branches)
    d = dossiers.find(session, code)
    agent = session.scalar(select(User).where(User.username == "dl-bidv"))
    assert d is not None and agent is not None
    words = "Hồ sơ còn nợ phí, lệ phí 200.000 đ: thu phí trước khi trả kết quả."
    with pytest.raises(dossiers.FeeOwed, match=words):
        dossiers.hand_back(session, d, agent, "Nguyễn Thị Hồng Nhung", NHUNG_CCCD)
    nhung = {"name": "Nguyễn Thị Hồng Nhung", "id_kind": "cccd", "id_number": NHUNG_CCCD}
    r = client.post(f"/api/v1/dossiers/{code}/transitions", headers=branches["dl-bidv"],
                    json={"to": "returned", "receiver": nhung})  # fmt: skip
    assert r.status_code == 409 and r.get_json()["error"] == {"code": "fee_owed", "message": words}
    valid(r.get_json(), "/dossiers/{code}/transitions", "post", 409)
    staff = floor.test_client()
    if surface == "office":
        sign_in(staff, "canbo", "mat-khau-dai-1")
        url, extra, collect = f"/office/dossiers/{code}", {"at_center": "on"}, 'href="#cash"'
    else:
        sign_in(staff, "dl-bidv", "mat-khau-dai-9")
        url, extra, collect = f"/agent/dossiers/{code}", {"back": "page"}, 'href="#fee"'
    page = text(staff.get(url))
    card = page.split('id="hand-back"')[1]
    assert words in card and collect in card.split("hand-back-form")[0]
    token = csrf(staff, url)
    r = staff.post(
        url + "/hand-back",
        data={
            "csrf_token": token,
            "receiver": nhung["name"],
            "id_kind": "cccd",
            "id_checked": NHUNG_CCCD,
            **extra,
        },
    )
    card = text(r).split('id="hand-back"')[1]
    assert r.status_code == 422 and words in card and 'role="alert"' in card
    assert f'value="{NHUNG_CCCD}"' in card
    session.refresh(d)
    assert d.status == S.RESOLVED and d.returned_at is None
    public = floor.test_client()
    ask = csrf(public, f"/d/{code}")
    status = text(public.post(f"/d/{code}", data={"csrf_token": ask, "verify": "1234"}))
    assert "Đã trả kết quả" not in status
    # Once paid, the same hand-back goes through and the card no longer speaks of the fee.
    fee_paid(session, code, "dl-bidv")
    assert words not in text(staff.get(url))
    r = staff.post(
        url + "/hand-back",
        data={
            "csrf_token": token,
            "receiver": nhung["name"],
            "id_kind": "cccd",
            "id_checked": NHUNG_CCCD,
            **extra,
        },
    )
    assert r.status_code == 303
    session.refresh(d)
    assert d.status == S.RETURNED


# ---------------------------------------------------------------- no dead end for the counter


def test_the_counter_officer_receives_an_online_dossier_and_is_told_who_goes_on(
    client: FlaskClient, floor: Flask, branches: dict[str, dict[str, str]], session: Session
) -> None:
    """A dossier an agent filed waits "Mới đăng ký": the counter officer (dossier.receive)
    may make the reception's decision; every later move is processing's, and the page says
    so instead of showing nothing."""
    from kiosk.domain.accounts import Forbidden

    code = str(file_as(client, branches["dl-bidv"], upload_as(client, branches["dl-bidv"]))
               .get_json()["code"])  # fmt: skip
    office = floor.test_client()
    sign_in(office, "canbo", "mat-khau-dai-1")
    url = f"/office/dossiers/{code}"
    page = text(office.get(url))
    offered = set(re.findall(r'data-move="([a-z_]+)"', page))
    assert offered == {"accepted", "refused", "supplement"}, offered
    assert 'data-testid="whose-move"' not in page
    token = csrf(office, url)
    r = office.post(url + "/move", data={"csrf_token": token, "to": "processing"})
    assert r.status_code == 403
    r = office.post(url + "/move", data={"csrf_token": token, "to": "accepted"})
    assert r.status_code == 303
    d = dossiers.find(session, code)
    assert d is not None
    session.refresh(d)
    canbo = session.scalar(select(User).where(User.username == "canbo"))
    assert canbo is not None
    assert d.status == S.ACCEPTED and d.events[-1].actor_id == canbo.id
    page = text(office.get(url))
    assert re.findall(r'data-move="([a-z_]+)"', page) == []
    whose = page.split('data-testid="whose-move">')[1].split("</p>")[0]
    assert "cán bộ xử lý hồ sơ" in whose
    with pytest.raises(Forbidden):
        dossiers.move(session, d, "processing", canbo)
    # A processing officer sees the moves, and no such note.
    sign_in(office, "xuly", "mat-khau-dai-4")
    page = text(office.get(url))
    assert 'data-move="processing"' in page and 'data-testid="whose-move"' not in page


def test_the_apology_is_offered_only_for_a_dossier_late_or_due(
    floor: Flask, session: Session, branches: dict[str, dict[str, str]]
) -> None:
    import datetime as dt

    from kiosk.domain.clock import utcnow

    office = floor.test_client()
    code = receive_at_counter(office, session)
    sign_in(office, "xuly", "mat-khau-dai-4")
    url = f"/office/dossiers/{code}"
    assert "mẫu 04" not in text(office.get(url))  # just received, days to go
    d = dossiers.find(session, code)
    assert d is not None
    for due in (utcnow() + dt.timedelta(hours=3), utcnow() - dt.timedelta(days=1)):
        d.due_at = due
        session.commit()
        page = text(office.get(url))
        assert "mẫu 04" in page, due
        form = page.split("mẫu 04")[1].split("</form>")[0]
        assert 'name="new_date"' in form and "pattern=" not in form and " required" not in form
