"""A whole study through two Delphi rounds, over HTTP only, as the people do it:
the coordinator sets up, invites and runs rounds; five experts fill in their
self-assessment and answer; the dashboard's exported figures are checked
against ``delphi/`` on the matrices the experts typed."""
import csv
import io
import re

import numpy as np
import pytest

import delphi
from tests.conftest import login
from tests.webapp.test_setup_support import open_link

HIERARCHY_CSV = """code,parent_code,name_zh,name_en,description
G,,总目标,Goal,
I1,G,资质认证,Accreditation,
I2,G,服务范围,Scope of services,
I3,G,专家人才,Expert talent,
I4,G,客户满意度,Client satisfaction,
I5,G,宣传推广,Publicity,
"""

ROUND1 = np.array([[5, 4, 3, 2, 1],
                   [5, 5, 3, 2, 2],
                   [4, 4, 4, 3, 1],
                   [5, 4, 2, 2, 1],
                   [4, 3, 3, 1, 2]], dtype=float)
ROUND2 = np.array([[5, 4, 3, 2, 1],
                   [5, 4, 3, 2, 1],
                   [4, 4, 3, 2, 1],
                   [5, 4, 3, 2, 1],
                   [5, 4, 3, 2, 2]], dtype=float)


def read_csv(response):
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def column(rows, index):
    return [float(r[index]) if r[index] != "" else np.nan for r in rows[1:]]


def expert_answers(app, link, values, nodes, *, profile=True):
    expert = app.test_client()
    assert open_link(expert, link).status_code == 302
    if profile:
        response = expert.post("/expert/profile", data={
            "field": "testing", "years_experience": "12", "stakeholder_group": "practice",
            "familiarity": "familiar", "basis_practice": "high", "basis_theory": "medium",
            "basis_literature": "medium", "basis_intuition": "low"})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return expert


def answer_round(expert, round_id, nodes, values):
    # autosave as the page's script does, then submit the form as the button does
    for node, value in zip(nodes, values):
        saved = expert.post(f"/api/v1/rounds/{round_id}/answers",
                            json={"answers": [{"node_id": node, "value": int(value)}]})
        assert saved.status_code == 200, saved.get_json()
    form = {f"rate_{node}": str(int(value)) for node, value in zip(nodes, values)}
    form["action"] = "submit"
    response = expert.post(f"/expert/rounds/{round_id}", data=form)
    assert response.status_code == 302 and "/thanks" in response.headers["Location"], \
        response.get_data(as_text=True)[:800]


def test_two_delphi_rounds_end_to_end(app, client, make_coordinator):
    make_coordinator("alice")
    coordinator = client
    login(coordinator)

    # set-up: study, hierarchy by CSV upload, panel by a pasted list
    created = coordinator.post("/studies/new", data={"title": "Walkthrough", "default_locale": "en"})
    study_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    upload = coordinator.post(f"/studies/{study_id}/indicators/import",
                              data={"file": (io.BytesIO(HIERARCHY_CSV.encode()), "tree.csv")},
                              content_type="multipart/form-data")
    assert upload.status_code == 302
    people = "\n".join(f"Expert {k}, e{k}@example.org, Org {k}" for k in range(5))
    added = coordinator.post(f"/studies/{study_id}/panel/import", data={"text": people}, follow_redirects=True)
    links = re.findall(r"http://localhost(/i#[A-Za-z0-9_-]{43})", added.get_data(as_text=True))
    links = list(dict.fromkeys(links))
    assert len(links) == 5

    # round 1: every indicator below the goal, scale 1-5
    new = coordinator.post(f"/studies/{study_id}/rounds/new", data={
        "title": "Round 1", "instructions": "Rate **importance**.", "scale": "1-5", "scope": "all",
        "allow_comments": "y", "allow_no_opinion": "y", "tz_offset": "0"})
    assert new.status_code == 302, new.get_data(as_text=True)[:1000]
    round1 = int(re.search(r"/rounds/(\d+)/", new.headers["Location"]).group(1))
    assert coordinator.post(f"/studies/{study_id}/rounds/{round1}/open").status_code == 302

    experts = []
    nodes = None
    for k, link in enumerate(links):
        expert = expert_answers(app, link, ROUND1[k], None)
        page = expert.get(f"/expert/rounds/{round1}?lang=en").get_data(as_text=True)
        found = [int(n) for n in re.findall(r'data-node="(\d+)"', page)]
        nodes = nodes or found
        assert found == nodes and len(nodes) == 5
        answer_round(expert, round1, nodes, ROUND1[k])
        experts.append(expert)

    assert coordinator.post(f"/studies/{study_id}/rounds/{round1}/close").status_code == 302
    base1 = f"/studies/{study_id}/rounds/{round1}"
    items1 = read_csv(coordinator.get(base1 + "/export/items.csv?lang=en"))
    header = items1[0]
    expected = delphi.item_stats(ROUND1, scale_max=5, agree_at=4)
    for name, values in (("Mean", expected.mean), ("SD", expected.sd), ("CV", expected.cv),
                         ("Median", expected.median), ("IQR", expected.iqr),
                         ("Full-score frequency", expected.full_score)):
        np.testing.assert_allclose(column(items1, header.index(name)), values, rtol=1e-12)
    rounds_table = read_csv(coordinator.get(base1 + "/export/rounds.csv?lang=en"))
    concordance = delphi.kendall_w(ROUND1)
    row = dict(zip(rounds_table[0], rounds_table[1]))
    assert float(row["Kendall's W (tie-corrected)"]) == pytest.approx(concordance.w, rel=1e-12)
    assert float(row["Kendall's W (uncorrected)"]) == pytest.approx(concordance.w_uncorrected, rel=1e-12)
    assert float(row["χ²"]) == pytest.approx(concordance.chi2, rel=1e-12)
    assert float(row["p"]) == pytest.approx(concordance.p, rel=1e-12)
    assert float(row["Response rate (positive coefficient)"]) == 1.0
    # Every expert said: familiar (Cs 0.8); practice high 0.5, theory medium 0.2, literature 0.1,
    # intuition 0.1 (the default table, METHODS.md / PMC9440023 Table 2) -> Ca 0.9, Cr 0.85.
    assert float(row["Mean authority Cr"]) == pytest.approx(0.85)
    dashboard = coordinator.get(base1 + "/dashboard?lang=en").get_data(as_text=True)
    assert "Expert 0" in dashboard  # the coordinator sees who answered

    # round 2 carries every indicator; experts see round 1's group result
    nxt = coordinator.post(f"{base1}/next")
    assert nxt.status_code == 302
    round2 = int(re.search(r"/rounds/(\d+)/", nxt.headers["Location"]).group(1))
    assert coordinator.post(f"/studies/{study_id}/rounds/{round2}/open").status_code == 302
    feedback_page = experts[0].get(f"/expert/rounds/{round2}?lang=en").get_data(as_text=True)
    assert "Median" in feedback_page or "median" in feedback_page
    for other in range(1, 5):
        assert f"Expert {other}" not in feedback_page and f"e{other}@example.org" not in feedback_page
    for k, expert in enumerate(experts):
        answer_round(expert, round2, nodes, ROUND2[k])

    # a late answer after closing is refused and changes nothing
    assert coordinator.post(f"/studies/{study_id}/rounds/{round2}/close").status_code == 302
    late = experts[0].post(f"/api/v1/rounds/{round2}/answers", json={"answers": [{"node_id": nodes[0], "value": 1}]})
    assert late.status_code == 400

    base2 = f"/studies/{study_id}/rounds/{round2}"
    items2 = read_csv(coordinator.get(base2 + "/export/items.csv?lang=en"))
    stab = delphi.stability(ROUND1, ROUND2)
    np.testing.assert_allclose(column(items2, items2[0].index("Wilcoxon p")), stab.p, rtol=1e-12)
    np.testing.assert_allclose(column(items2, items2[0].index("Changed since last round (share)")),
                               stab.changed, rtol=1e-12)
    ratings = read_csv(coordinator.get(base2 + "/export/ratings.csv?lang=en"))
    matrix = np.array([[float(v) for v in row[-5:]] for row in ratings[1:]])
    np.testing.assert_array_equal(matrix, ROUND2)
