"""Helpers shared by the dashboard and export tests (test_dashboard_*.py, test_exports.py).

A study owned by alice with a first-level round (A, B, C, D) and seven experts:

======  ============  =======================================  =====================
expert  group         round 1                                   note
======  ============  =======================================  =====================
E01     regulator     5 4 3 2, submitted, comment on A          self-assessment
E02     platform      4 4 3 3, submitted                        no self-assessment
E03     academia      5 5 4 –, submitted, "no opinion" on D     self-assessment
E04     enterprise    3 4 2 2, submitted, link revoked after    self-assessment
E05     regulator     4 4 4 4 saved as a draft                  self-assessment
E06     platform      nothing                                   self-assessment
E07     academia      nothing, link revoked (not invited)       self-assessment
======  ============  =======================================  =====================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np
from sqlalchemy import select

from webapp.extensions import db

CODES = ["A", "B", "C", "D"]
ROUND1 = {
    "E01": [5, 4, 3, 2],
    "E02": [4, 4, 3, 3],
    "E03": [5, 5, 4, None],
    "E04": [3, 4, 2, 2],
}
DRAFT1 = {"E05": [4, 4, 4, 4]}
GROUPS = {"E01": "regulator", "E02": "platform", "E03": "academia", "E04": "enterprise",
          "E05": "regulator", "E06": "platform", "E07": "academia"}
BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
FAMILIARITY = {"E01": "very", "E03": "familiar", "E04": "moderate", "E05": "very", "E06": "familiar",
               "E07": "little"}
# Round 2: E01–E03 answer again (E03 now rates D); E01 gives a reason for staying outside the IQR.
ROUND2 = {
    "E01": [5, 4, 4, 1],
    "E02": [4, 4, 3, 3],
    "E03": [4, 5, 4, 3],
}


@dataclass
class Built:
    study_id: int
    round_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    round2_id: int | None = None


def alice(app) -> int:
    from webapp.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == "alice"))


def _answers(rnd, values, **extra):
    out = []
    for item, value in zip(rnd.items, values):
        answer = {"node_id": item.node_id, **extra}
        if value is None:
            answer["no_opinion"] = True
        else:
            answer["value"] = value
        out.append(answer)
    return out


def build_round(app, owner_id: int, *, title: str = "看板研究 · Dashboard study") -> Built:
    """The round described in the module docstring, open; returns ids and invitation tokens."""
    from webapp.models import Study, User
    from webapp.services import groups, round_lifecycle, round_scope, studies
    from webapp.services.answers import save_answers, submit_response
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.demo_ahp import DEMO_GROUPS
    from webapp.services.hierarchy_io import parse_json, validate_tree

    with app.app_context():
        study = studies.create_study(db.session.get(User, owner_id), title=title)
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        groups.define_groups(study, DEMO_GROUPS)   # regulator "Regulator", platform, enterprise, academia, other
        tokens = {}
        for i in range(1, 8):
            pseudonym = f"E{i:02d}"
            profile = {"stakeholder_group": GROUPS[pseudonym]}
            if pseudonym in FAMILIARITY:
                profile.update(familiarity=FAMILIARITY[pseudonym], basis=dict(BASIS))
            invitation = studies.add_expert(study, name=f"Name {pseudonym}", email=f"{pseudonym.lower()}@example.org",
                                            organisation=f"Org {pseudonym}", pseudonym=pseudonym, **profile)
            tokens[pseudonym] = invitation.token
        db.session.flush()
        experts = {e.pseudonym: e for e in study.experts}
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        round_lifecycle.open_round(rnd)
        assert [item.node.code for item in rnd.items] == CODES
        for pseudonym, values in ROUND1.items():
            answers = _answers(rnd, values)
            if pseudonym == "E01":
                answers[0]["comment"] = "Clear and measurable; 可以量化。"
            save_answers(experts[pseudonym], rnd, answers)
            submit_response(experts[pseudonym], rnd)
        save_answers(experts["E05"], rnd, _answers(rnd, DRAFT1["E05"]))
        studies.revoke_link(experts["E04"])
        studies.revoke_link(experts["E07"])
        db.session.commit()
        return Built(study.id, rnd.id, tokens)


def build_two_rounds(app, owner_id: int) -> Built:
    """Round 1 as above (closed), then round 2 open with E01–E03 submitted."""
    from webapp.models import Round, Study
    from webapp.services import round_lifecycle, round_scope
    from webapp.services.answers import save_answers, submit_response

    built = build_round(app, owner_id)
    with app.app_context():
        study = db.session.get(Study, built.study_id)
        round_lifecycle.close_round(db.session.get(Round, built.round_id))
        rnd = round_scope.create_delphi_round(study, rated_level=1)
        assert [item.node.code for item in rnd.items] == CODES
        round_lifecycle.open_round(rnd)
        experts = {e.pseudonym: e for e in study.experts}
        for pseudonym, values in ROUND2.items():
            answers = _answers(rnd, values)
            if pseudonym == "E01":
                answers[3]["reason"] = "Only a formality for us."
                answers[0]["comment"] = "Keep as it is."
            save_answers(experts[pseudonym], rnd, answers)
            submit_response(experts[pseudonym], rnd)
        db.session.commit()
        built.round2_id = rnd.id
    return built


def matrix(ratings: dict) -> np.ndarray:
    """experts (by pseudonym) × items, NaN for no opinion."""
    return np.array([[np.nan if v is None else float(v) for v in ratings[p]] for p in sorted(ratings)])


def expected_stats(m: np.ndarray, scale_max: int = 5, agree_at: int = 4) -> dict[str, np.ndarray]:
    """Item statistics straight from numpy (the independent computation)."""
    out = {k: [] for k in ("n", "mean", "sd", "cv", "median", "q1", "q3", "iqr", "agreement", "full_score")}
    for j in range(m.shape[1]):
        x = m[:, j][~np.isnan(m[:, j])]
        q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75], method="linear")
        sd = np.std(x, ddof=1)
        out["n"].append(len(x))
        out["mean"].append(x.mean())
        out["sd"].append(sd)
        out["cv"].append(sd / x.mean())
        out["median"].append(median)
        out["q1"].append(q1)
        out["q3"].append(q3)
        out["iqr"].append(q3 - q1)
        out["agreement"].append((x >= agree_at).mean())
        out["full_score"].append((x == scale_max).mean())
    return {k: np.array(v) for k, v in out.items()}


def kendall_w_uncorrected(m: np.ndarray) -> float:
    """W = 12 S / (m² (n³ − n)) on complete rows, ranks with ties averaged (numpy + argsort only)."""
    rows = m[~np.isnan(m).any(axis=1)]
    k, n = rows.shape
    ranks = np.empty_like(rows)
    for i, row in enumerate(rows):
        order = np.argsort(row, kind="stable")
        r = np.empty(n)
        r[order] = np.arange(1, n + 1)
        for value in np.unique(row):  # average the ranks of ties
            tied = row == value
            r[tied] = r[tied].mean()
        ranks[i] = r
    sums = ranks.sum(axis=0)
    s = ((sums - k * (n + 1) / 2) ** 2).sum()
    return 12 * s / (k ** 2 * (n ** 3 - n))


class _Collector(HTMLParser):
    """Rows of the dashboard's tables: {data-code: {cell class: data-value or text}}."""

    def __init__(self, table_class: str):
        super().__init__()
        self.table_class = table_class
        self.depth = 0
        self.rows: dict[str, dict[str, str]] = {}
        self.code = None
        self.cell = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and self.table_class in (attrs.get("class") or "").split():
            self.depth = 1
        elif self.depth and tag == "tr" and "data-code" in attrs:
            self.code = attrs["data-code"]
            self.rows[self.code] = {"_attrs": attrs}
        elif self.depth and self.code and tag == "td":
            classes = (attrs.get("class") or "").split()
            name = next((c for c in classes if c.startswith("c-")), None) or attrs.get("data-label")
            self.cell = name
            self.text = []
            if "data-value" in attrs:
                self.rows[self.code][name] = attrs["data-value"]

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None and self.code:
            self.rows[self.code].setdefault(self.cell, " ".join("".join(self.text).split()))
            self.rows[self.code][self.cell + ":text"] = " ".join("".join(self.text).split())
            self.cell = None
        elif tag == "tr":
            self.code = None
        elif tag == "table" and self.depth:
            self.depth = 0

    def handle_data(self, data):
        if self.cell is not None:
            self.text.append(data)


def table_rows(html: str, table_class: str = "items") -> dict[str, dict[str, str]]:
    parser = _Collector(table_class)
    parser.feed(html)
    return parser.rows


def pseudonyms_in(html: str, section_id: str) -> list[str]:
    """data-pseudonym values inside the element with id ``section_id`` (a div or section)."""
    start = html.index(f'id="{section_id}"')
    end = html.find("</div>", html.find("</ul>", start) if "</ul>" in html[start:] else start)
    chunk = html[start:end]
    import re

    return re.findall(r'data-pseudonym="([^"]+)"', chunk)


def test_the_independent_helpers_agree_with_textbook_values():
    m = matrix(ROUND1)
    stats = expected_stats(m)
    assert stats["n"].tolist() == [4, 4, 4, 3]
    assert stats["mean"][0] == 17 / 4
    # Hand-computed: complete rows E01, E02, E04; ranks per row with ties averaged.
    # E01 5 4 3 2 -> 4 3 2 1; E02 4 4 3 3 -> 3.5 3.5 1.5 1.5; E04 3 4 2 2 -> 3 4 1.5 1.5
    # sums 10.5 10.5 5 4; mean 7.5; S = 9 + 9 + 6.25 + 12.25 = 36.5; W = 12*36.5 / (9 * 60)
    assert abs(kendall_w_uncorrected(m) - 12 * 36.5 / (9 * 60)) < 1e-12
