"""A pasted list whose lines come from different sources: most split on tabs (a spreadsheet),
one typed with commas. Found by the whole-study browser test: the comma line's expert was
stored as "Li Wei," (the comma kept in the name) under a tab-separated list."""
from __future__ import annotations

from webapp.extensions import db
from webapp.models import Study
from webapp.services.panel_lists import parse_expert_list


def test_a_comma_line_in_a_tab_list_splits_on_its_commas(app, make_study):
    study_id = make_study(seed=False)
    text = ("Wang Fang\twang.fang@example.cn\tTesting institute A\n"
            "Li Wei, li.wei@example.cn, University B\n"
            "张伟，zhang.wei@example.cn，市场监管局\n"
            "Chen Jing\tchen.jing@example.cn\tPlatform C, Ltd.\n")
    with app.test_request_context():
        parsed = parse_expert_list(text, db.session.get(Study, study_id))
    assert [(p.name, p.email, p.organisation) for p in parsed] == [
        ("Wang Fang", "wang.fang@example.cn", "Testing institute A"),
        ("Li Wei", "li.wei@example.cn", "University B"),
        ("张伟", "zhang.wei@example.cn", "市场监管局"),
        ("Chen Jing", "chen.jing@example.cn", "Platform C, Ltd."),
    ]


def test_a_name_with_a_comma_but_no_e_mail_stays_one_name(app, make_study):
    study_id = make_study(seed=False)
    with app.test_request_context():
        parsed = parse_expert_list("Name\tE-mail\tOrganisation\nWang, Fang\t\tInstitute\nZhao, Lei\n",
                                   db.session.get(Study, study_id))
    assert [(p.name, p.email, p.organisation) for p in parsed] == [
        ("Wang, Fang", None, "Institute"), ("Zhao, Lei", None, "")]
