"""Stakeholder groups defined per study: the editor on the panel page, refusals that store
nothing, and every place that shows or counts groups using the study's own names."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.helpers import snapshot
from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db
from webapp.models import Expert, Study, StudyGroup
from webapp.services import groups


@pytest.fixture
def study_id(app, coordinator_client, make_study):
    return make_study(alice_id(app))


def codes(app, study_id) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(g.code, g.name_zh, g.name_en) for g in groups.groups_of(db.session.get(Study, study_id))]


def group_id(app, study_id, code) -> int:
    with app.app_context():
        return db.session.scalar(select(StudyGroup.id).where(StudyGroup.study_id == study_id, StudyGroup.code == code))


def test_a_new_study_starts_with_the_default_groups(app, study_id):
    assert codes(app, study_id) == list(groups.DEFAULT_GROUPS)
    assert [c for c, _zh, _en in groups.DEFAULT_GROUPS] == ["regulator", "enterprise", "academia", "practice", "other"]


def test_add_rename_reorder_and_delete_on_the_panel_page(app, study_id, coordinator_client):
    base = f"/studies/{study_id}/panel/groups"
    response = coordinator_client.post(base, data={"code": "Platform", "name_zh": "检验检测平台",
                                                   "name_en": "Testing platforms"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#groups")
    assert codes(app, study_id)[-1] == ("platform", "检验检测平台", "Testing platforms")   # code lower-cased
    platform = group_id(app, study_id, "platform")
    coordinator_client.post(f"{base}/{platform}", data={"name_zh": "平台", "name_en": "Platforms"})
    coordinator_client.post(f"{base}/{platform}/up")
    assert [c for c, *_ in codes(app, study_id)] == ["regulator", "enterprise", "academia", "practice", "platform",
                                                     "other"]
    coordinator_client.post(f"{base}/{group_id(app, study_id, 'regulator')}/down")
    coordinator_client.post(f"{base}/{group_id(app, study_id, 'practice')}/delete")
    assert codes(app, study_id) == [("enterprise", "企业", "Industry"), ("regulator", "政府及监管部门",
                                    "Government and regulators"), ("academia", "高校及科研院所",
                                    "Academia and research institutes"), ("platform", "平台", "Platforms"),
                                    ("other", "其他", "Other")]
    with app.app_context():
        positions = [g.position for g in groups.groups_of(db.session.get(Study, study_id))]
    assert positions == [0, 1, 2, 3, 4]
    en = coordinator_client.get(f"/studies/{study_id}/panel?lang=en").get_data(as_text=True)
    zh = coordinator_client.get(f"/studies/{study_id}/panel?lang=zh").get_data(as_text=True)
    assert 'value="Platforms"' in en and "Stakeholder groups" in en
    assert "专家类别" in zh
    # the add-one form offers the study's groups, named in the page language, in its order
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>',
                         zh.split('name="stakeholder_group"')[1].split("</select>")[0])
    assert options[0] == ("", "未设置") and options[1:] == [("enterprise", "企业"), ("regulator", "政府及监管部门"), ("academia", "高校及科研院所"),
                           ("platform", "平台"), ("other", "其他")]


@pytest.mark.parametrize("data, message", [
    ({"code": "regulator", "name_zh": "重复", "name_en": "Again"}, "already has a group with the code regulator"),
    ({"code": "REGULATOR", "name_zh": "重复"}, "already has a group with the code regulator"),
    ({"code": "two words", "name_zh": "x"}, "is not valid"),
    ({"code": "new", "name_zh": "", "name_en": ""}, "Give the group a name"),
    ({"code": "", "name_zh": "x"}, "This field is required."),
])
def test_a_refused_group_stores_nothing(app, study_id, coordinator_client, data, message):
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/groups?lang=en", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_group_in_use_cannot_be_deleted(app, study_id, coordinator_client, make_expert):
    make_expert(study_id, name="A", stakeholder_group="academia")
    academia = group_id(app, study_id, "academia")
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/groups/{academia}/delete?lang=en",
                                       follow_redirects=True)
    assert "cannot be deleted: 1 experts belong to it" in response.get_data(as_text=True)
    assert snapshot(app) == before
    with app.app_context(), pytest.raises(groups.GroupError):
        groups.delete_group(db.session.get(StudyGroup, academia))


def test_a_group_of_another_study_is_refused(app, study_id, coordinator_client, make_study, make_expert):
    other = make_study(alice_id(app), title="Other study")
    theirs = group_id(app, other, "academia")
    expert_id, _token = make_expert(study_id, name="A")
    before = snapshot(app)
    # through the URL: another study's group is not found under this study
    assert coordinator_client.post(f"/studies/{study_id}/panel/groups/{theirs}/delete").status_code == 404
    assert coordinator_client.post(f"/studies/{study_id}/panel/groups/{theirs}",
                                   data={"name_zh": "x"}).status_code == 404
    # through the services: a StudyGroup object of the other study
    with app.app_context():
        study, expert = db.session.get(Study, study_id), db.session.get(Expert, expert_id)
        with pytest.raises(groups.GroupError, match="another study"):
            groups.resolve(study, db.session.get(StudyGroup, theirs))
        from webapp.services import panel

        with pytest.raises(panel.PanelError, match="another study"):
            panel.update_profile(expert, {"stakeholder_group": db.session.get(StudyGroup, theirs)})
        db.session.rollback()
    # through the form: a code the study does not have
    response = coordinator_client.post(f"/studies/{study_id}/panel/{expert_id}?lang=en",
                                       data={"name": "A", "stakeholder_group": "aliens"})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_pasted_list_names_the_studys_own_groups(app, study_id, coordinator_client):
    coordinator_client.post(f"/studies/{study_id}/panel/groups", data={"code": "platform", "name_zh": "检验检测平台",
                                                                      "name_en": "Testing platforms"})
    text = "王建国\twang@example.org\t广州海关技术中心\t检验检测平台\nOlivia Chen\tolivia@example.org\tPRI\tTesting platforms\n" \
           "李秀英\tli@example.org\t华南理工大学\t高校\n"
    response = coordinator_client.post(f"/studies/{study_id}/panel/import", data={"text": text})
    assert response.status_code == 302
    with app.app_context():
        found = [(e.name, e.group_code) for e in db.session.get(Study, study_id).experts]
    assert sorted(found) == sorted([("王建国", "platform"), ("Olivia Chen", "platform"), ("李秀英", "academia")])
    before = snapshot(app)
    response = coordinator_client.post(f"/studies/{study_id}/panel/import?lang=en",
                                       data={"text": "A\ta@example.org\tOrg\tMartians\n"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "unknown group “Martians”" in page and "platform" in page
    assert snapshot(app) == before


def test_panel_make_up_counts_by_the_studys_groups_in_its_language(app, study_id, coordinator_client, make_expert):
    for name, group in [("A", "academia"), ("B", "academia"), ("C", "regulator"), ("D", None)]:
        make_expert(study_id, name=name, stakeholder_group=group)
    academia = group_id(app, study_id, "academia")
    coordinator_client.post(f"/studies/{study_id}/panel/groups/{academia}", data={"name_zh": "科研机构",
                                                                                "name_en": "Research"})
    for lang, expected in [("en", [("Government and regulators", "1"), ("Research", "2"), ("No group", "1")]),
                           ("zh", [("政府及监管部门", "1"), ("科研机构", "2"), ("未分组", "1")])]:
        html = coordinator_client.get(f"/studies/{study_id}/panel?lang={lang}").get_data(as_text=True)
        table = html.split('id="makeup"')[1].split("</table>")[0]
        rows = re.findall(r'<th scope="row">([^<]*)</th><td class="num">(\d+)</td>', table)
        assert rows == expected
