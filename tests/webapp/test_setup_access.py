"""Every set-up URL: 404 for another coordinator (nothing changes), and both languages render."""
from __future__ import annotations

import io

import pytest

from tests.conftest import login
from tests.helpers import snapshot
from tests.webapp.test_setup_support import alice_id, node_id


@pytest.fixture
def setup(app, coordinator_client, make_study, make_expert):
    study_id = make_study(alice_id(app))
    expert_id, token = make_expert(study_id, name="王建国", email="wang@example.org", organisation="广州海关")
    return study_id, node_id(app, study_id, "A1"), expert_id, token


def urls(study_id: int, node: int, expert: int, token: str):
    """(method, path, data) for every set-up URL."""
    s = f"/studies/{study_id}"
    return [
        ("GET", f"{s}", None),
        ("GET", f"{s}/indicators", None),
        ("POST", f"{s}/indicators/import", {"file": (io.BytesIO(b'{"code": "G", "name": "g", "children": '
                                                                 b'[{"code": "A", "name": "a"}]}'), "t.json")}),
        ("POST", f"{s}/indicators/seed", {}),
        ("GET", f"{s}/indicators/export.json", None),
        ("GET", f"{s}/indicators/export.csv", None),
        ("GET", f"{s}/indicators/{node}/add", None),
        ("POST", f"{s}/indicators/{node}/add", {"code": "X9", "name_en": "x"}),
        ("GET", f"{s}/indicators/{node}/edit", None),
        ("POST", f"{s}/indicators/{node}/edit", {"code": "A1", "name_en": "Renamed", "parent": "1"}),
        ("POST", f"{s}/indicators/{node}/move/down", {}),
        ("POST", f"{s}/indicators/{node}/delete", {}),
        ("GET", f"{s}/settings", None),
        ("POST", f"{s}/settings", {"title": "Taken over", "description": "", "default_locale": "en"}),
        ("POST", f"{s}/settings/consensus", {"mode": "agreement-75"}),
        ("POST", f"{s}/settings/authority", {}),
        ("POST", f"{s}/settings/authority/reset", {}),
        ("GET", f"{s}/panel", None),
        ("POST", f"{s}/panel/add", {"name": "Mallory", "email": "m@example.org"}),
        ("POST", f"{s}/panel/import", {"text": "Mallory, m@example.org, Evil"}),
        ("GET", f"{s}/panel/links", None),
        ("GET", f"{s}/panel/links.csv", None),
        ("GET", f"{s}/panel/{expert}/sheet", None),
        ("GET", f"{s}/invitations", None),
        ("POST", f"{s}/invitations", {"recipients": "all", "action": "send"}),
        ("GET", f"{s}/messages", None),
        ("GET", f"{s}/messages/copy?ids=1", None),
        ("GET", f"{s}/panel/{expert}", None),
        ("POST", f"{s}/panel/{expert}", {"name": "Renamed"}),
        ("POST", f"{s}/panel/{expert}/reissue", {}),
        ("POST", f"{s}/panel/{expert}/revoke", {}),
    ]


def test_another_coordinator_gets_404_everywhere_and_changes_nothing(app, setup, make_coordinator):
    study_id, node, expert, token = setup
    make_coordinator("mallory")
    client = app.test_client()  # another browser: the fixture's client is alice's
    assert login(client, "mallory").status_code == 302
    before = snapshot(app)
    for method, path, data in urls(study_id, node, expert, token):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 404, (method, path)
    assert snapshot(app) == before


def test_nodes_and_experts_of_another_study_are_404_inside_my_study(app, coordinator_client, setup, make_study,
                                                                     make_expert):
    study_id, _node, _expert, _token = setup
    other = make_study(alice_id(app))
    other_node = node_id(app, other, "A1")
    other_expert, token = make_expert(other, name="Other")
    before = snapshot(app)
    for method, path, data in urls(study_id, other_node, other_expert, token):
        if f"/{other_node}/" not in path and f"/{other_expert}" not in path:
            continue
        response = coordinator_client.get(path) if method == "GET" else coordinator_client.post(path, data=data)
        assert response.status_code == 404, (method, path)
    assert snapshot(app) == before


def test_without_login_every_page_asks_for_it(app, setup):
    study_id, node, expert, token = setup
    client = app.test_client()
    for method, path, data in urls(study_id, node, expert, token):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_post_without_a_csrf_token_runs_nothing(app, coordinator_client, setup):
    study_id, node, expert, token = setup
    before = snapshot(app)
    for method, path, data in urls(study_id, node, expert, token):
        if method == "POST":
            response = coordinator_client.post(path, data=data, csrf=False, content_type="multipart/form-data")
            assert response.status_code in (200, 400), path  # 200/400: a form re-rendered with the data kept
            body = response.get_data(as_text=True)
            assert "/i/" not in body.replace('href="/i/', "") and "/i#" not in body, path
    assert snapshot(app) == before


PAGES = [
    ("", ("Indicator system", "Expert panel"), ("指标体系", "专家组")),
    ("/indicators", ("Import from a file", "Testing capability"), ("从文件导入", "检测能力")),
    ("/indicators/{node}/add", ("New indicator", "Add indicator"), ("添加指标", "上级指标：A1")),
    ("/indicators/{node}/edit", ("Parent indicator", "Delete A1"), ("上级指标", "删除 A1")),
    ("/settings", ("Consensus rule", "Judgment basis"), ("共识标准", "判断依据")),
    ("/panel", ("Add one expert", "Stakeholder group"), ("添加一位专家", "专家类别")),
    ("/panel/{expert}", ("Familiarity with the subject", "Practical experience"), ("熟悉程度", "实践经验")),
]


@pytest.mark.parametrize("path, english, chinese", PAGES, ids=[p[0] or "/" for p in PAGES])
def test_pages_render_in_english_and_chinese(app, coordinator_client, setup, path, english, chinese):
    study_id, node, expert, _token = setup
    url = f"/studies/{study_id}" + path.format(node=node, expert=expert)
    for lang, words in (("en", english), ("zh", chinese)):
        response = coordinator_client.get(f"{url}?lang={lang}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        for word in words:
            assert word in page, (lang, word)


def test_the_links_page_and_errors_render_in_chinese(app, coordinator_client, setup):
    study_id, _node, _expert, _token = setup
    response = coordinator_client.post(f"/studies/{study_id}/panel/add?lang=zh", data={"name": "李四"},
                                       follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "E02" in page and "邀请链接" in page and "下载全部链接" in page
    assert "用于微信等即时通讯工具的消息" in page and "可打印的邀请函" in page
