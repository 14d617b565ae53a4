"""Between rounds, indicators whose stability cannot be judged (fewer than min_paired = 6
experts rated them in both rounds) are not called unstable. Found by the whole-study browser
test: with five experts, round 2's advice said "19 unstable" and listed every indicator, though
no Wilcoxon test had been made."""
from __future__ import annotations

import re

from tests.webapp.test_dashboard_support import alice, build_two_rounds
from webapp.extensions import db


def test_too_few_pairs_are_not_judged_unstable(app, coordinator_client):
    from webapp.models import Round
    from webapp.services import round_lifecycle

    built = build_two_rounds(app, alice(app))  # round 2: E01–E03 submitted, 3 pairs < 6
    with app.app_context():
        round_lifecycle.close_round(db.session.get(Round, built.round2_id))
        db.session.commit()
    page = coordinator_client.get(f"/studies/{built.study_id}/rounds/{built.round2_id}?lang=en").get_data(as_text=True)
    advice = page.split('id="advice"', 1)[1].split("</section>", 1)[0]
    assert "Stability cannot be judged for 4 of 4 indicators: fewer than 6 experts rated them in both rounds." in advice
    assert "Unstable:" not in advice and not re.search(r"\d+ unstable", advice)
    assert "Stable since the previous round: 0 of 4" in advice
