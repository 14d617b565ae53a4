"""The dashboard, its exports and the study report show the wording each round asked
(``RoundItem.asked_*``), not the indicator's current name: reword between rounds → round 1's
pages and files keep the old wording, round 2's show the new one."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.webapp.test_setup_support import alice_id
from webapp.extensions import db
from webapp.models import Expert, Node, Round, Study
from webapp.services import answers, round_lifecycle, round_scope, wording

OLD_EN, OLD_ZH = "Original wording of A", "甲指标原来的说法"
NEW_EN, NEW_ZH = "Reworded indicator A", "甲指标改后的说法"
LATEST_EN = "Third wording of A, after round 2"


def _answer_and_close(rnd, experts, values):
    for expert, value in zip(experts, values):
        answers.save_answers(expert, rnd, [{"node_id": i.node_id, "value": value} for i in rnd.items])
        answers.submit_response(expert, rnd)
    round_lifecycle.close_round(rnd)


@pytest.fixture
def two_rounds(app, coordinator_client, make_study, make_expert):
    """Round 1 asks A in its old words; A is reworded; round 2 asks the new words; both closed."""
    sid = make_study(alice_id(app))
    basis = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
    for k in range(4):
        make_expert(sid, name=f"E{k}", email=f"e{k}@example.org", familiarity="familiar", basis=basis)
    with app.app_context():
        study = db.session.get(Study, sid)
        experts = list(db.session.scalars(select(Expert).where(Expert.study_id == sid)))
        r1 = round_scope.create_delphi_round(study, rated_level=1)
        first = r1.items[0].node
        wording.reword(first, name_zh=OLD_ZH, name_en=OLD_EN)      # before round 1 opens
        round_lifecycle.open_round(r1)
        _answer_and_close(r1, experts, [5, 4, 4, 3])
        wording.reword(first, name_zh=NEW_ZH, name_en=NEW_EN)      # between the rounds
        r2 = round_scope.create_delphi_round(study, nodes=[i.node for i in r1.items], rated_level=1)
        round_lifecycle.open_round(r2)
        _answer_and_close(r2, experts, [5, 5, 4, 4])
        db.session.commit()
        return sid, r1.id, r2.id, first.id


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang, old, new", [("en", OLD_EN, NEW_EN), ("zh", OLD_ZH, NEW_ZH)])
def test_each_rounds_dashboard_and_exports_use_its_own_wording(coordinator_client, two_rounds, lang, old, new):
    sid, r1, r2, _node = two_rounds
    for rid, asked, not_asked in [(r1, old, new), (r2, new, old)]:
        html = coordinator_client.get(f"/studies/{sid}/rounds/{rid}/dashboard?lang={lang}").get_data(as_text=True)
        assert asked in html and not_asked not in html
        rows = _csv(coordinator_client.get(f"/studies/{sid}/rounds/{rid}/export/items.csv?lang={lang}"))
        assert rows[1][1] == asked                                 # code, indicator name, …
        groups = _csv(coordinator_client.get(f"/studies/{sid}/rounds/{rid}/export/groups.csv?lang={lang}"))
        assert all(r[2] == asked for r in groups[1:] if r[1] == rows[1][0])
        book = load_workbook(io.BytesIO(coordinator_client.get(
            f"/studies/{sid}/rounds/{rid}/export.xlsx?lang={lang}").data), read_only=True)
        cells = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
        assert asked in cells and not_asked not in cells


def test_the_study_report_names_the_item_as_its_round_asked_it(app, coordinator_client, two_rounds):
    sid, _r1, r2, node_id = two_rounds
    with app.app_context():
        wording.reword(db.session.get(Node, node_id), name_zh="第三种说法", name_en=LATEST_EN)   # after round 2
        db.session.commit()
        assert db.session.get(Round, r2).items[0].asked_name("en") == NEW_EN
    html = coordinator_client.get(f"/studies/{sid}/report/view?lang=en").get_data(as_text=True)
    assert NEW_EN in html            # the worked example uses round 2's data and round 2's words
    assert LATEST_EN not in html
