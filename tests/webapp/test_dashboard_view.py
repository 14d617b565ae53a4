"""The coordinator's round dashboard: figures against an independent computation, response lists,
group split, both languages, empty states and the deadline."""
from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from scipy import stats as st
from tests.webapp.test_dashboard_support import (
    CODES,
    ROUND1,
    ROUND2,
    alice,
    build_round,
    build_two_rounds,
    expected_stats,
    kendall_w_uncorrected,
    matrix,
    pseudonyms_in,
    table_rows,
)

import delphi
from webapp.extensions import db


def url(built, round_id=None, suffix="dashboard"):
    return f"/studies/{built.study_id}/rounds/{round_id or built.round_id}/{suffix}"


@pytest.fixture
def built(app, coordinator_client):
    return build_round(app, alice(app))


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.data[:500]
    return response.get_data(as_text=True)


def num(value: str) -> float:
    return float(value) if value not in ("", None) else float("nan")


def test_the_endpoint_has_the_agreed_name(app, built):
    with app.test_request_context():
        from flask import url_for

        assert url_for("coordinator.dashboard", study_id=built.study_id, round_id=built.round_id) == url(built)


def test_item_figures_equal_an_independent_computation(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?lang=en")
    rows = table_rows(html)
    assert list(rows) == CODES
    m = matrix(ROUND1)                      # E01–E04 submitted; the draft of E05 does not count
    want = expected_stats(m)
    keys = {"n": "c-n", "mean": "c-mean", "sd": "c-sd", "cv": "c-cv", "median": "c-median", "iqr": "c-iqr",
            "agreement": "c-agree", "full_score": "c-full"}
    for j, code in enumerate(CODES):
        for stat, cell in keys.items():
            assert num(rows[code][cell]) == pytest.approx(want[stat][j], rel=1e-12, abs=1e-12), (code, stat)
        assert rows[code]["c-q:text"] == f"{want['q1'][j]:.2f}–{want['q3'][j]:.2f}"
    # one "no opinion" (E03 on D): counted, and missing from n
    assert [rows[c]["c-noop"] for c in CODES] == ["0", "0", "0", "1"]
    # the distribution bar has one column per scale point with the counts as tooltips
    assert 'aria-label="Ratings of A: 1: 0, 2: 0, 3: 1, 4: 1, 5: 2"' in html


def test_consensus_follows_the_study_rule_and_names_the_failed_criterion(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?lang=en")
    rows = table_rows(html)
    want = expected_stats(matrix(ROUND1))
    for j, code in enumerate(CODES):  # cn-standard: mean > 3.5 and CV < 0.25
        reached = want["mean"][j] > 3.5 and want["cv"][j] < 0.25
        assert rows[code]["_attrs"]["data-consensus"] == ("yes" if reached else "no"), code
    assert rows["A"]["_attrs"]["data-consensus"] == "yes"      # mean 4.25, CV 0.225
    assert re.search(r'data-code="D".*?mean too low', html, re.S)
    assert "Mean &gt; 3.5 and Coefficient of variation (CV) &lt; 0.25 (scale 1–5)" in html


def test_panel_figures_kendall_w_authority_response(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?lang=en")
    m = matrix(ROUND1)
    w = delphi.kendall_w(m)
    assert w.m_used == 3 and w.m_dropped == 1                       # E03's "no opinion" drops the row
    assert w.w_uncorrected == pytest.approx(kendall_w_uncorrected(m), rel=1e-12)
    complete = m[~np.isnan(m).any(axis=1)]
    friedman = st.friedmanchisquare(*complete.T)                     # tie-corrected, independently
    assert w.w_corrected == pytest.approx(friedman.statistic / (3 * (4 - 1)), rel=1e-12)

    def shown(testid):
        return re.search(rf'data-testid="{testid}">([^<]+)<', html).group(1).strip()

    assert shown("w-corrected") == f"{w.w_corrected:.3f}"
    assert shown("w-uncorrected") == f"{w.w_uncorrected:.3f}"
    assert shown("chi2") == f"{friedman.statistic:.2f}"
    assert shown("df") == "3"
    assert shown("p") == f"{friedman.pvalue:.3f}"
    assert shown("m-used") == "from 3 of 4 experts"                 # W says whom it counts
    assert 'data-testid="w-warning"' not in html                     # 3 of 4 ≥ 70 %
    midrank = delphi.kendall_w(m, False, missing="midrank")          # all four experts
    assert midrank.m_used == 4
    assert shown("w-midrank") == f"{midrank.w:.3f}"
    # response: 4 submitted of 6 invited (E04 revoked after answering still counts; E07 does not)
    assert shown("response-rate") == f"{100 * 4 / 6:.0f}%"
    assert "4 of 6 invited experts submitted." in html
    assert "Drafts saved but not submitted: 1." in html
    # authority over those who submitted: E01, E03, E04 (E02 has no self-assessment)
    table = delphi.authority([{"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}] * 3,
                             ["very", "familiar", "moderate"])
    ca = 0.5 + 0.2 + 0.1 + 0.1
    assert table.cr.tolist() == pytest.approx([(ca + 1.0) / 2, (ca + 0.8) / 2, (ca + 0.6) / 2])
    assert shown("cr-mean") == f"{table.mean:.3f}"
    assert re.search(r'data-testid="authority-missing">[^<]*<span class="code">E02</span></p>', html)
    assert "mean &gt; 3.5 and cv &lt; 0.25" in html and "R type 7" in html


def test_who_has_and_has_not_answered(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?lang=en")
    assert pseudonyms_in(html, "not-answered") == ["E05", "E06"]
    assert pseudonyms_in(html, "answered") == ["E01", "E02", "E03", "E04"]
    waiting = html[html.index('id="not-answered"'):html.index('id="answered"')]
    # contact details for reminders, the draft's progress, and a reminder link
    assert "e05@example.org" in waiting and "Org E05" in waiting and "Name E06" in waiting
    assert "Draft 4/4" in waiting
    assert "mailto:?bcc=e05@example.org,e06@example.org" in waiting
    assert "E07" not in waiting
    assert re.search(r"Links revoked, not counted as invited:\s*<span class=\"code\">E07</span>", html)


def test_comments_are_listed_by_item_under_pseudonyms(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?lang=en")
    block = html[html.index('id="comments"'):html.index('id="downloads"')]
    assert re.search(r'<span class="code pseudo">E01</span> <span class="comment-text">Clear and measurable; 可以量化。',
                     block)


def test_stability_and_reasons_in_round_two(app, coordinator_client):
    built = build_two_rounds(app, alice(app))
    html = page(coordinator_client, url(built, built.round2_id) + "?lang=en")
    rows = table_rows(html)
    experts = sorted(ROUND1)  # the stability pairs experts who answered either round
    previous = np.array([[np.nan if v is None else v for v in ROUND1[p]] for p in experts], dtype=float)
    current = np.array([[np.nan if v is None else v for v in ROUND2.get(p, [None] * 4)] for p in experts],
                       dtype=float)
    want = delphi.stability(previous, current, min_paired=6)  # the round's frozen minimum: 3 pairs < 6
    assert not want.stable.any()
    for j, code in enumerate(CODES):
        paired = ~np.isnan(previous[:, j]) & ~np.isnan(current[:, j])
        changed = (previous[paired, j] != current[paired, j]).mean()
        assert num(rows[code]["c-changed"]) == pytest.approx(changed)
        assert num(rows[code]["c-changed"]) == pytest.approx(want.changed[j])
        assert num(rows[code]["c-p"]) == pytest.approx(want.p[j], nan_ok=True)
        assert rows[code]["c-stable"] == str(int(want.stable[j]))
    assert html.count("Too few pairs") >= len(CODES)
    # E01 stays outside round 1's IQR on D and says why
    block = html[html.index('id="comments"'):html.index('id="downloads"')]
    assert "Reasons for staying outside the interquartile range" in block
    assert re.search(r"E01</span>\s*<span class=\"badge\">rated 1</span>\s*<span class=\"comment-text\">Only a formality",
                     block)
    # the charts across rounds: one column per round, W as computed by delphi
    w1 = delphi.kendall_w(matrix(ROUND1)).w_corrected
    w2 = delphi.kendall_w(matrix(ROUND2)).w_corrected
    trends = html[html.index('id="trends"'):html.index('id="comments"')]
    assert trends.count('<svg class="trend"') == 2
    assert f"W = {w1:.3f}" in trends and f"W = {w2:.3f}" in trends
    assert f">{w1:.2f}</text>" in trends and f">{w2:.2f}</text>" in trends


def test_group_split_filters_to_one_stakeholder_group(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?group=regulator&lang=en")
    note = re.search(r'data-testid="group-note">(.*?)</p>', html, re.S).group(1)
    assert "E01" in note and "E05" not in note          # E05 (regulator) has only a draft
    rows = table_rows(html)
    for j, code in enumerate(CODES):
        assert rows[code]["c-n"] == "1"
        assert num(rows[code]["c-mean"]) == ROUND1["E01"][j]
    assert 'aria-current="page">Regulator' in html
    html = page(coordinator_client, url(built) + "?group=academia&lang=en")
    rows = table_rows(html)
    assert [rows[c]["c-n"] for c in CODES] == ["1", "1", "1", "0"]
    assert [rows[c]["c-noop"] for c in CODES] == ["0", "0", "0", "1"]
    # an unknown group shows everyone
    assert len(table_rows(page(coordinator_client, url(built) + "?group=nonsense"))["A"]) > 0
    assert table_rows(page(coordinator_client, url(built) + "?group=nonsense"))["A"]["c-n"] == "4"


def test_group_medians_side_by_side(coordinator_client, built):
    html = page(coordinator_client, url(built) + "?group=compare&lang=en")
    rows = table_rows(html, "compare")
    assert list(rows) == CODES
    by_group = {"Regulator": "E01", "Platform": "E02", "Academia and research institutes": "E03",
                "Enterprise": "E04"}
    for j, code in enumerate(CODES):
        for label, pseudonym in by_group.items():
            value = ROUND1[pseudonym][j]
            assert rows[code][label] == ("" if value is None else str(float(value)))
    # largest gap between group medians on A: 5 − 3
    assert rows["A"]["Largest gap"] == "2.0"


@pytest.mark.parametrize("lang, words", [
    ("en", ["Response rate", "Kendall's W", "Expert authority coefficient Cr", "Full score", "Stop or continue?"]),
    ("zh", ["专家积极系数", "肯德尔和谐系数 W", "专家权威系数 Cr", "变异系数", "满分频率", "认同率", "四分位数间距",
            "均数", "标准差", "中位数", "结束还是继续？"]),
])
def test_both_languages_render(coordinator_client, built, lang, words):
    html = page(coordinator_client, url(built) + f"?lang={lang}")
    for word in words:
        assert word in html, word
    assert "style=" not in html  # the CSP forbids inline styles, charts included


def test_a_draft_round_shows_empty_states(app, coordinator_client):
    from webapp.models import Study
    from webapp.services import round_scope, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    with app.app_context():
        from webapp.models import User

        study = studies.create_study(db.session.get(User, alice(app)), title="Empty")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        studies.add_expert(study, name="Only one")
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        db.session.commit()
        study_id, round_id = study.id, rnd.id
        assert db.session.get(Study, study_id).rounds[0].status.value == "draft"
    for lang in ("en", "zh"):
        html = page(coordinator_client, f"/studies/{study_id}/rounds/{round_id}/dashboard?lang={lang}")
        assert "<table class=\"table items\"" in html
    html = page(coordinator_client, f"/studies/{study_id}/rounds/{round_id}/dashboard?lang=en")
    assert "No questionnaire submitted yet: the statistics appear as answers come in." in html
    assert "W needs at least two submitted questionnaires." in html
    assert "The trends appear once a round is open." in html
    assert pseudonyms_in(html, "not-answered") == ["E01"]
    for suffix in ("dashboard?group=compare", "export/items.csv", "export/ratings.csv", "export/rounds.csv",
                   "export/groups.csv", "export.xlsx"):
        assert coordinator_client.get(f"/studies/{study_id}/rounds/{round_id}/{suffix}").status_code == 200, suffix


def test_one_answer_is_not_yet_statistics(app, coordinator_client):
    from webapp.models import Study, User
    from webapp.services import answers, round_lifecycle, round_scope, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    with app.app_context():
        study = studies.create_study(db.session.get(User, alice(app)), title="One")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        expert = studies.add_expert(study, name="Solo").expert
        studies.add_expert(study, name="Silent")
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": 4} for i in rnd.items])
        answers.submit_response(expert, rnd)
        db.session.commit()
        path = f"/studies/{study.id}/rounds/{rnd.id}/dashboard?lang=en"
        assert db.session.get(Study, study.id)
    html = page(coordinator_client, path)
    assert "Statistics need at least two submitted questionnaires." in html
    assert table_rows(html)["A"]["c-n"] == ""


def test_the_dashboard_applies_the_deadline_first(app, coordinator_client, built):
    from webapp.models import Round, RoundStatus, utcnow

    with app.app_context():
        rnd = db.session.get(Round, built.round_id)
        rnd.closes_at = utcnow() - timedelta(minutes=1)   # past its deadline, no scheduler ran
        db.session.commit()
    html = page(coordinator_client, url(built) + "?lang=en")
    assert 'badge badge-closed' in html
    with app.app_context():
        assert db.session.get(Round, built.round_id).status is RoundStatus.closed


def test_a_rule_for_another_scale_is_explained_not_a_crash(app, coordinator_client):
    """The default rule (mean > 3.5 and CV < 0.25) is written for 1–5; a 1–9 round cannot use it.

    Creating such a round is refused; here the study switches to a scale-free rule and runs a 1–9
    round. Switching the study back to the 1–5 rule afterwards does not touch the opened round (its
    rule is frozen onto it); a round whose stored rule does not fit its scale (as a migrated legacy
    round can have) is explained instead of crashing."""
    from webapp.models import User
    from webapp.services import answers, round_lifecycle, round_scope, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    with app.app_context():
        study = studies.create_study(db.session.get(User, alice(app)), title="Nine points")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        experts = [studies.add_expert(study, name=f"X{i}").expert for i in range(2)]
        with pytest.raises(round_lifecycle.RoundError):
            round_scope.create_delphi_round(study, rated_level=1, scale_min=1, scale_max=9)
        study.consensus_rule = {"version": 1, "agreement_min": 0.7}
        rnd = round_scope.create_delphi_round(study, rated_level=1, scale_min=1, scale_max=9)
        round_lifecycle.open_round(rnd)
        for k, expert in enumerate(experts):
            answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": 5 + k} for i in rnd.items])
            answers.submit_response(expert, rnd)
        study.consensus_rule = None  # back to the default cn-standard rule, written for 1–5
        db.session.commit()
        base = f"/studies/{study.id}/rounds/{rnd.id}"
        round_id = rnd.id
    page = coordinator_client.get(base + "/dashboard?lang=en")
    assert page.status_code == 200
    assert "Agreement (ratings 8–9) ≥ 70%" in page.get_data(as_text=True)  # the round's own rule, cut on 1–9
    with app.app_context():
        from webapp.models import Round
        from webapp.services.round_settings import default_rule

        frozen = dict(db.session.get(Round, round_id).settings, consensus_rule=default_rule().to_dict())
        db.session.execute(sa.update(Round).where(Round.id == round_id).values(settings=frozen))
        db.session.commit()
    for suffix in ("/dashboard?lang=en", "/export/items.csv", "/export.xlsx"):
        response = coordinator_client.get(base + suffix)
        assert response.status_code == 409, suffix
        assert "is written for the scale 1–5, but round 1 uses 1–9" in response.get_data(as_text=True)
        assert not response.headers.get("Content-Disposition")


def test_stop_advice_on_an_open_round_is_marked_provisional(app, client, runner):
    """The demo has a closed round 1 and an open round 2 with 4 of 8 submitted."""
    lines = runner.invoke(args=["load-demo"]).output.splitlines()
    _kind, username, password = lines[0].split()
    client.post("/login", data={"username": username, "password": password})
    open_page = client.get("/studies/1/rounds/2/dashboard?lang=en").get_data(as_text=True)
    closed_page = client.get("/studies/1/rounds/1/dashboard?lang=en").get_data(as_text=True)
    assert "Provisional: the round is still open" in open_page
    assert "Provisional" not in closed_page
