"""The expert panel: adding experts, invitation links (shown once, CSV, reissue, revoke), profiles."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.helpers import snapshot
from tests.webapp.test_setup_support import alice_id, links_in, open_link
from webapp.extensions import db


@pytest.fixture
def study_id(app, coordinator_client, make_study):
    return make_study(alice_id(app))


def experts(app, study_id):
    from webapp.models import Expert

    with app.app_context():
        return db.session.scalars(select(Expert).where(Expert.study_id == study_id).order_by(Expert.id)).all()


def link_works(app, url: str) -> bool:
    """Open an invitation link in a fresh browser (not the coordinator's)."""
    response = open_link(app.test_client(), url)
    return response.status_code == 302 and response.headers["Location"].endswith("/expert/")


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


LIST = """姓名, 邮箱, 单位
王建国, wang@example.org, 广州海关技术中心, 监管部门

Olivia Chen, Olivia@Example.com, "Pearl River Instruments, Ltd.", enterprise
李秀英, , 华南理工大学, academia
"""


# --- adding -------------------------------------------------------------------------------

def test_add_one_expert_shows_the_link(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/panel/add?lang=en", data={
        "name": "王建国", "email": "wang@example.org", "organisation": "广州海关技术中心",
        "stakeholder_group": "regulator"}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "E01 added to the panel" in page and "showing a link never changes it" in page
    [url] = links_in(page)
    [expert] = experts(app, study_id)
    assert (expert.pseudonym, expert.name, expert.email, expert.group_code) == (
        "E01", "王建国", "wang@example.org", "regulator")
    assert url.split("/i#")[1] not in str(snapshot(app))  # only the hash is stored
    assert link_works(app, url)
    # the panel table links to the links page; the links page shows the same link again
    panel_page = coordinator_client.get(f"/studies/{study_id}/panel?lang=en").get_data(as_text=True)
    assert "wang@example.org" in panel_page and "Government and regulators" in panel_page
    again = coordinator_client.get(f"/studies/{study_id}/panel/links?lang=en").get_data(as_text=True)
    assert links_in(again) == [url]


@pytest.mark.parametrize("data, message", [
    ({"name": "", "email": "a@example.org"}, "This field is required."),
    ({"name": "A", "email": "not-an-address"}, "not-an-address is not an e-mail address"),
    ({"name": "A", "email": "WANG@example.org"}, "WANG@example.org is already on the panel (E01)"),
    ({"name": "A", "stakeholder_group": "aliens"}, "Not a valid choice."),
], ids=["no name", "bad e-mail", "duplicate e-mail", "unknown group"])
def test_adding_one_is_refused(app, study_id, coordinator_client, make_expert, data, message):
    make_expert(study_id, name="Wang", email="wang@example.org")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/add?lang=en",
                                       data={"organisation": "", "stakeholder_group": "", **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_paste_a_list(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/panel/import?lang=en", data={"text": LIST},
                                       follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3 experts added to the panel" in page
    urls = links_in(page)
    stored = experts(app, study_id)
    assert [(e.pseudonym, e.name, e.email, e.organisation, e.group_code)
            for e in stored] == [
        ("E01", "王建国", "wang@example.org", "广州海关技术中心", "regulator"),
        ("E02", "Olivia Chen", "Olivia@Example.com", "Pearl River Instruments, Ltd.", "enterprise"),
        ("E03", "李秀英", None, "华南理工大学", "academia"),
    ]
    assert len(urls) == 3 and all(link_works(app, url) for url in urls)


def test_a_list_pasted_from_excel_uses_tabs(app, study_id, coordinator_client):
    text = "Name\tE-mail\tOrganisation\tGroup\nA One\ta@example.org\tOrg, with comma\tpractice\nB Two\tb@example.org\t\t\n"
    response = coordinator_client.post(f"/studies/{study_id}/panel/import", data={"text": text})
    assert response.status_code == 302
    assert [(e.name, e.organisation) for e in experts(app, study_id)] == [("A One", "Org, with comma"), ("B Two", "")]


def test_the_links_download_as_csv_without_changing_them(app, study_id, coordinator_client):
    page = coordinator_client.post(f"/studies/{study_id}/panel/import", data={"text": LIST},
                                   follow_redirects=True).get_data(as_text=True)
    urls = links_in(page)
    before = snapshot(app)
    response = coordinator_client.get(f"/studies/{study_id}/panel/links.csv?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert rows[0] == ["Expert number", "Name", "E-mail", "Organisation", "Language", "Invitation link"]
    assert rows[1] == ["E01", "王建国", "wang@example.org", "广州海关技术中心", "zh", urls[0]]
    assert [row[5] for row in rows[1:]] == urls
    # a second download gives the same links; no link changed and all still work
    assert read_csv(coordinator_client.get(f"/studies/{study_id}/panel/links.csv").data)[1:] == rows[1:]
    after = snapshot(app)
    assert after["expert"] == before["expert"]
    assert all(link_works(app, url) for url in urls)


def test_upload_a_list_file(app, study_id, coordinator_client):
    data = {"file": (io.BytesIO(("\ufeff" + LIST).encode("utf-8")), "panel.csv"), "text": ""}
    response = coordinator_client.post(f"/studies/{study_id}/panel/import", data=data,
                                       content_type="multipart/form-data")
    assert response.status_code == 302 and len(experts(app, study_id)) == 3


@pytest.mark.parametrize("text, message", [
    ("A, a@example.org, Org\n, b@example.org, Org\n", "Line 2: the name is missing."),
    ("A, a@example.org, Org\n\nB, b@example, Org\n", "Line 3: b@example is not an e-mail address."),
    ("A, a@example.org, Org, aliens\n", "Line 1: unknown group “aliens”"),
    ("A, a@example.org, Org\nB, A@EXAMPLE.org, Org\n", "Line 2: the e-mail A@EXAMPLE.org already appears on line 1."),
    ("A, a@example.org, Org\nB, old@example.org, Org\n", "Line 2: old@example.org is already on the panel (E01)."),
    ("A, a@example.org, Org, practice, extra\n", "Line 1 has 5 columns"),
    ("\n\n", "Paste a list or choose a file."),
    (" ,  , \n", "The list is empty: write one expert per line."),
], ids=["no name", "bad e-mail", "unknown group", "duplicate in the list", "already on the panel",
        "too many columns", "empty", "empty cells"])
def test_a_bad_list_names_the_line_and_adds_nobody(app, study_id, coordinator_client, make_expert, text, message):
    make_expert(study_id, name="Old", email="old@example.org")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/import?lang=en", data={"text": text})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert text.strip().split("\n")[0] in page  # the pasted text is kept for correcting
    assert snapshot(app) == before


def test_a_list_file_in_neither_utf8_nor_gbk_is_refused(app, study_id, coordinator_client):
    before = snapshot(app)
    data = {"file": (io.BytesIO(b"A, a@example.org, \x81\x20\xff\n"), "panel.csv")}
    response = coordinator_client.post(f"/studies/{study_id}/panel/import?lang=en", data=data,
                                       content_type="multipart/form-data")
    assert response.status_code == 400 and "neither UTF-8 nor GBK/GB18030" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_bad_list_in_chinese(app, study_id, coordinator_client):
    response = coordinator_client.post(f"/studies/{study_id}/panel/import?lang=zh",
                                       data={"text": "A, a@example.org\nB, nope, Org\n"})
    assert response.status_code == 400 and "第 2 行" in response.get_data(as_text=True)


# --- links --------------------------------------------------------------------------------

def test_the_links_csv_escapes_formulas_and_leaves_out_revoked_links(app, study_id, coordinator_client,
                                                                      make_expert):
    _, old_a = make_expert(study_id, name="A", email="a@example.org", organisation="=HYPERLINK(\"x\")")
    _, old_b = make_expert(study_id, name="B")
    revoked_id, old_c = make_expert(study_id, name="C")
    coordinator_client.post(f"/studies/{study_id}/panel/{revoked_id}/revoke")
    response = coordinator_client.get(f"/studies/{study_id}/panel/links.csv?lang=en")
    rows = read_csv(response.data)
    assert [row[:4] for row in rows[1:]] == [["E01", "A", "a@example.org", "'=HYPERLINK(\"x\")"],
                                             ["E02", "B", "", ""]]  # no formulas; the revoked E03 is left out
    assert [row[5].split("#")[1] for row in rows[1:]] == [old_a, old_b]  # the links already sent
    assert link_works(app, f"/i/{old_a}") and not link_works(app, f"/i/{old_c}")


def test_revoke_and_reissue_one_link(app, study_id, coordinator_client, make_expert):
    expert_id, token = make_expert(study_id, name="A", email="a@example.org")
    assert link_works(app, f"/i/{token}")
    response = coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/revoke", follow_redirects=True,
                                       query_string={"lang": "en"})
    assert "The link of E01 no longer works." in response.get_data(as_text=True)
    assert app.test_client().get(f"/i/{token}").status_code == 403
    before = snapshot(app)
    again = coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/revoke", follow_redirects=True,
                                    query_string={"lang": "en"})
    assert "already revoked" in again.get_data(as_text=True)
    assert snapshot(app) == before

    response = coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/reissue?lang=en",
                                       follow_redirects=True)
    assert response.status_code == 200 and "New link for E01" in response.get_data(as_text=True)
    [url] = links_in(response.get_data(as_text=True))
    assert link_works(app, url) and not link_works(app, f"/i/{token}")
    assert not experts(app, study_id)[0].is_revoked


def test_reissue_ends_the_old_links_session(app, study_id, coordinator_client, make_expert):
    expert_id, token = make_expert(study_id, name="A")
    expert_browser = app.test_client()
    expert_browser.get(f"/i/{token}")
    assert expert_browser.get("/expert/").status_code == 200
    coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}/reissue")
    assert expert_browser.get("/expert/").status_code != 200


# --- the panel table and profiles --------------------------------------------------------

PROFILE = {"name": "王建国", "email": "wang@example.org", "organisation": "广州海关技术中心",
           "field": "检验检测", "years_experience": "20", "stakeholder_group": "regulator",
           "familiarity": "very", "basis_practice": "high", "basis_theory": "medium",
           "basis_literature": "medium", "basis_intuition": "low"}


def test_edit_an_experts_profile(app, study_id, coordinator_client, make_expert):
    expert_id, _ = make_expert(study_id, name="W")
    page = coordinator_client.get(f"/studies/{study_id}/panel/{expert_id}?lang=en").get_data(as_text=True)
    assert "Needs the familiarity and all four sources" in page
    response = coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}", data=PROFILE)
    assert response.status_code == 302
    [expert] = experts(app, study_id)
    assert (expert.name, expert.field, expert.years_experience, expert.group_code,
            expert.familiarity) == ("王建国", "检验检测", 20, "regulator", "very")
    assert expert.basis == {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
    page = coordinator_client.get(f"/studies/{study_id}/panel/{expert_id}?lang=en").get_data(as_text=True)
    # Ca = 0.5 + 0.2 + 0.1 + 0.1 = 0.9, Cs = 1.0, Cr = 0.95 with the default tables
    assert "0.90" in page and "1.00" in page and "0.95" in page
    panel_page = coordinator_client.get(f"/studies/{study_id}/panel?lang=en").get_data(as_text=True)
    assert "5/5" in panel_page and "Government and regulators" in panel_page


@pytest.mark.parametrize("change, message", [
    ({"basis_theory": ""}, "Give the influence of all four sources, or of none."),
    ({"years_experience": "100"}, "Number must be between 0 and 80."),
    ({"familiarity": "somewhat"}, "Not a valid choice."),
    ({"email": "other@example.org"}, "other@example.org is already on the panel (E02)."),
    ({"name": ""}, "This field is required."),
], ids=["partial basis", "years", "familiarity", "e-mail of another", "no name"])
def test_a_bad_profile_is_refused(app, study_id, coordinator_client, make_expert, change, message):
    expert_id, _ = make_expert(study_id, name="W")
    make_expert(study_id, name="O", email="other@example.org")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}?lang=en", data={**PROFILE, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_update_profile_service_for_the_expert_self_assessment(app, study_id, make_expert):
    from webapp.models import AuditEvent, Expert
    from webapp.services import panel
    from webapp.services.panel import PanelError

    expert_id, _ = make_expert(study_id, name="W")
    with app.test_request_context():
        expert = db.session.get(Expert, expert_id)
        panel.update_profile(expert, {"familiarity": "little"}, by_expert=True)
        assert expert.familiarity == "little" and expert.field == ""  # only the given items change
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.actor) == ("expert.profile", "expert:E01")
        for bad in ({"basis": {"practice": "high"}}, {"basis": {"practice": "huge", "theory": "low",
                                                                "literature": "low", "intuition": "low"}},
                    {"stakeholder_group": "aliens"}, {"years_experience": 81}, {"familiarity": "x"}):
            with pytest.raises(PanelError):
                panel.update_profile(expert, bad)
        assert panel.profile_of(expert)["familiarity"] == "little"


def test_the_profile_form_can_require_the_authority_items(app):
    from werkzeug.datastructures import MultiDict

    from webapp.forms.setup import ExpertProfileForm

    with app.test_request_context():
        form = ExpertProfileForm(MultiDict({"field": "x"}), require_authority=True, meta={"csrf": False})
        assert not form.validate()
        assert form.familiarity.errors and form.basis_errors
        form = ExpertProfileForm(MultiDict({k: v for k, v in PROFILE.items() if k.startswith(("basis", "famil"))}),
                                 require_authority=True, meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.profile_data()["basis"]["practice"] == "high"
        optional = ExpertProfileForm(MultiDict({}), meta={"csrf": False})
        assert optional.validate() and optional.profile_data()["basis"] is None


def test_the_panel_table(app, study_id, coordinator_client, make_expert):
    make_expert(study_id, name="张伟", email="zhang@example.org", organisation="江门海关技术中心",
                stakeholder_group=None)
    page = coordinator_client.get(f"/studies/{study_id}/panel?lang=zh").get_data(as_text=True)
    for text in ("E01", "张伟", "zhang@example.org", "江门海关技术中心", "0/5", "从未访问", "有效"):
        assert text in page, text
