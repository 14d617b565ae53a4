"""A round's heading says its number once, also for a bilingual title ("第三轮 AHP 两两比较 · Round 3 (AHP)",
the demo's finished AHP round): each half of the title loses its own round number, and a half left
repeating another ("AHP") is dropped. Seen on the AHP dashboard in English and Chinese."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import login
from webapp.extensions import db
from webapp.models import Round, RoundKind
from webapp.presentation import title_after_number


@pytest.mark.parametrize("number, title, shown", [
    (3, "第三轮 AHP 两两比较 · Round 3 (AHP)", "AHP 两两比较"),
    (1, "第一轮 AHP 两两比较 · AHP round 1", "AHP 两两比较"),
    (2, "第二轮 · Round 2", ""),
    (1, "一级指标 · Round 1: first level", "一级指标 · first level"),
    (1, "Round 1 (pilot)", "pilot"),                    # the brackets go with the number
    (1, "Pilot round 1", "Pilot"),
    (1, "Pilot round 12", "Pilot round 12"),            # another number
    (1, "Around 1", "Around 1"),                        # not the word "round"
    (1, "A · A", "A · A"),                              # no number removed: kept as written
    (1, "Round 1: the first-level indicators", "the first-level indicators"),
    (1, "第一轮 一级指标", "一级指标"),
])
def test_title_after_number_reads_each_half(number, title, shown):
    assert title_after_number(number, title) == shown


def test_the_demo_ahp_dashboard_says_round_3_once(app, runner, client):
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0
    username, password = result.output.splitlines()[0].split()[1:3]
    login(client, username, password)
    with app.app_context():
        rnd = db.session.scalars(select(Round).where(Round.kind == RoundKind.ahp, Round.number == 3)).first()
        assert rnd.title == "第三轮 AHP 两两比较 · Round 3 (AHP)"
        path = f"/studies/{rnd.study_id}/rounds/{rnd.id}/ahp-dashboard"
    for lang, want in (("en", "Round 3 · Pairwise comparison (AHP) · AHP 两两比较"),
                       ("zh", "第3轮 · 两两比较（层次分析法） · AHP 两两比较")):
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        h1 = " ".join(re.search(r"<h1>(.*?)<span", html, re.S).group(1).split())
        assert h1 == want
