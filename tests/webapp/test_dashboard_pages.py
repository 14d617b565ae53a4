"""The dashboard at scale (issue 16 "Cost"): status counts, and the per-expert lists (who has
answered, who has not, authority per expert) a page at a time, with page links in both languages.
The page size is 100 experts; here it is set to 2 so four experts make two pages."""
from __future__ import annotations

import re

import pytest
from tests.conftest import login
from tests.helpers.panels import answer, make_panel, open_round

from webapp.services import dashboard

VALUES = [[5, 2, 1, 4], [4, 3, 2, 4], [4, 2, 4, 5]]


@pytest.fixture
def built(app, client, make_study, make_expert, make_coordinator, monkeypatch):
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    owner = make_coordinator("alice")
    panel = make_panel(app, lambda: make_study(owner), make_expert)
    round1, _ = open_round(app, panel.study_id)
    for (expert_id, _), values in zip(panel.experts, VALUES):      # E01–E03 submit, E04 does not
        answer(app, expert_id, round1, values, submit=True)
    login(client)
    return panel, round1


def get(client, panel, round1, query=""):
    response = client.get(f"/studies/{panel.study_id}/rounds/{round1}/dashboard{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html: str, ident: str) -> str:
    return html.split(f'id="{ident}"', 1)[1].split("</div>", 1)[0]


def test_lists_come_a_page_at_a_time_with_counts(client, built):
    panel, round1 = built
    first = get(client, panel, round1, "?lang=en")
    counts = re.sub(r"\s+", " ", first.split('data-testid="status-counts"', 1)[1].split("</ul>", 1)[0])
    assert "<strong>3</strong> Submitted" in counts and "<strong>1</strong> Not started" in counts
    assert re.findall(r'data-pseudonym="(E\d+)"', section(first, "answered")) == ["E01", "E02"]
    assert "Page 1 of 2 (2 experts per page)" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = get(client, panel, round1, "?lang=en&page=2")
    assert re.findall(r'data-pseudonym="(E\d+)"', section(second, "answered")) == ["E03"]
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert get(client, panel, round1, "?lang=en&page=99").count('data-pseudonym="E03"') >= 1  # clamped


def test_page_links_in_chinese(client, built):
    panel, round1 = built
    html = get(client, panel, round1, "?lang=zh")
    assert "第 1 页，共 2 页" in html and "下一页" in html and "未开始" in html


def test_the_exports_keep_every_expert(client, built):
    panel, round1 = built
    csv = client.get(f"/studies/{panel.study_id}/rounds/{round1}/export/panel.csv").get_data(as_text=True)
    assert all(p in csv for p in panel.pseudonyms)
