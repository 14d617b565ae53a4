"""The coordinator changes an evaluator's language after adding them: a WTForms form with CSRF in the
evaluator's row, audited with the previous language; their pages and reminders then use it. A value
other than English, Chinese or the study's default, a forged post, or another study's evaluator
changes nothing stored."""
from __future__ import annotations

from tests.conftest import login
from tests.helpers import snapshot
from tests.webapp.smtp_server import smtp_server  # noqa: F401 (fixture)
from tests.webapp.test_evaluations import create, evaluation_id, study  # noqa: F401
from tests.webapp.test_evaluator_links import audit, english_study, evaluator  # noqa: F401


def language_url(sid, eid, evaluator_id):
    return f"/studies/{sid}/evaluations/{eid}/evaluators/{evaluator_id}/language"


def test_the_row_has_a_language_form_with_the_current_choice(app, coordinator_client, english_study):  # noqa: F811
    sid, eid, _ids, _links = english_study
    wang = evaluator(app, "Wang")
    page = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators").get_data(as_text=True)
    form = page[page.index(f'action="{language_url(sid, eid, wang.id)}"'):]
    form = form[:form.index("</form>")]
    assert 'name="csrf_token"' in form
    assert '<option selected value="zh">中文</option>' in form
    assert "The study's default (English)" in form
    zh = coordinator_client.get(f"/studies/{sid}/evaluations/{eid}/evaluators?lang=zh").get_data(as_text=True)
    assert "研究的默认语言" in zh                              # Smith has none: "Language: the study's default"


def test_the_coordinator_changes_the_language_and_it_is_used(app, coordinator_client, english_study,  # noqa: F811
                                                            smtp_server):  # noqa: F811
    from webapp.scheduler import sweep

    sid, eid, _ids, links = english_study
    smith = evaluator(app, "Smith")
    response = coordinator_client.post(language_url(sid, eid, smith.id), data={"locale": "zh"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#evaluator-{smith.id}")
    assert evaluator(app, "Smith").locale == "zh"
    assert audit(app, "evaluation.evaluator_language") == [(f"evaluator:{smith.id}", {"locale": "zh", "before": None})]
    # the same choice again: nothing changes, nothing audited
    assert coordinator_client.post(language_url(sid, eid, smith.id), data={"locale": "zh"}).status_code == 302
    assert len(audit(app, "evaluation.evaluator_language")) == 1
    # the link now opens Chinese pages, and the reminder is in Chinese
    visitor = app.test_client()
    assert visitor.get(links["Smith"]).status_code == 302
    assert 'lang="zh-Hans"' in visitor.get("/evaluate/").get_data(as_text=True)
    sweep(app)
    assert smtp_server.to("smith@example.org")[0]["Subject"].startswith("提醒：评价")
    # back to the study's default: stored as none, audited with the previous language
    wang = evaluator(app, "Wang")
    assert coordinator_client.post(language_url(sid, eid, wang.id), data={"locale": ""}).status_code == 302
    assert evaluator(app, "Wang").locale is None
    assert audit(app, "evaluation.evaluator_language")[-1] == (f"evaluator:{wang.id}", {"locale": None, "before": "zh"})


def test_bad_forged_or_foreign_language_changes_nothing(app, client, coordinator_client, english_study,  # noqa: F811
                                                       make_coordinator, study):  # noqa: F811
    sid, eid, _ids, _links = english_study
    wang = evaluator(app, "Wang")
    before = snapshot(app)
    for value in ("fr", "zh-TW", "EN", " zh"):
        page = coordinator_client.post(language_url(sid, eid, wang.id), data={"locale": value})
        assert page.status_code == 400 and "Choose English or Chinese" in page.get_data(as_text=True), value
    assert coordinator_client.post(language_url(sid, eid, wang.id), data={"locale": "en"},
                                   csrf=False).status_code == 400
    assert snapshot(app) == before
    other = create(coordinator_client, sid, study[1], title="Other evaluation")
    other_eid = int(other.headers["Location"].rstrip("/").split("/")[-1])
    before = snapshot(app)
    assert coordinator_client.post(language_url(sid, other_eid, wang.id), data={"locale": "en"}).status_code == 404
    assert coordinator_client.post(language_url(sid, eid, 99999), data={"locale": "en"}).status_code == 404
    assert snapshot(app) == before and evaluator(app, "Wang").locale == "zh"
    make_coordinator("bob")
    coordinator_client.post("/logout")
    assert login(client, "bob").status_code == 302
    before = snapshot(app)
    assert client.post(language_url(sid, eid, wang.id), data={"locale": "en"}).status_code == 404   # not his study
    assert snapshot(app) == before and evaluator(app, "Wang").locale == "zh"
