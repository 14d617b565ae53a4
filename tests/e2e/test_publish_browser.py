"""Publishing in a real browser: the finished demo study, a phone, preview → publish → the API
serves the new version; the report page opens; no CSP violations."""
import json
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def test_publish_v2_on_a_phone_and_read_it_from_the_api(live_demo, phone_zh):
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import Study
    from webapp.services.demo_finished import FINISHED_TITLE

    with live_demo.app.app_context():
        study_id = db.session.scalar(select(Study.id).where(Study.title == FINISHED_TITLE))
    page = phone_zh.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    username, password = live_demo.coordinator
    page.goto(live_demo.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_demo.url}/studies/{study_id}/weights?lang=zh")   # the demo coordinator reads English
    assert "v1" in page.locator(".versions-table").inner_text()
    page.select_option("select[name=round_id]", index=1)            # round 1: a different set
    page.locator(".publish-source button[type=submit]").click()
    assert page.locator("h1").inner_text() == "v2 预览"
    page.fill("input[name=label]", "第一轮 · round 1")
    page.get_by_role("button", name="发布 v2").click()
    assert "权重集 v2 已发布。" in page.content()
    with urllib.request.urlopen(f"{live_demo.url}/api/weight-sets/{study_id}/latest") as answer:
        doc = json.load(answer)
    assert doc["version"] == 2 and doc["label"] == "第一轮 · round 1" and doc["provenance"]["round_numbers"] == [1]
    page.goto(f"{live_demo.url}/studies/{study_id}/report/view")
    assert "各轮咨询及其统计" in page.content() and page.locator("svg.weights-chart").count() == 1
    assert errors == []
