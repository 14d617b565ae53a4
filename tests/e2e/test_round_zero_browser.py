"""Round 0 on a phone, in chromium: the proposal form shows only the fields the chosen kind
needs, a proposal is added, and the general comment autosaves while the expert types."""
import pytest
from sqlalchemy import select

from tests.helpers import wait_until
from webapp.extensions import db
from webapp.models import Proposal, ProposalKind, Study, User
from webapp.services import round_lifecycle, round_zero, studies
from webapp.services.demo import seed_hierarchy_bytes
from webapp.services.hierarchy_io import parse_json, validate_tree

pytestmark = pytest.mark.e2e


@pytest.fixture
def round_zero_link(live_demo):
    """A new study of the demo coordinator with one expert and round 0 open: (round id, link)."""
    app = live_demo.app
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == live_demo.coordinator[0]))
        study = studies.create_study(owner, title="Round 0 study", time_zone="Asia/Shanghai")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        invitation = studies.add_expert(study, name="王芳", email="wang@example.org")
        rnd = round_zero.create_round_zero(study, instructions="请提出缺少的指标。")
        round_lifecycle.open_round(rnd)
        db.session.commit()
        return rnd.id, f"{live_demo.url}/i/{invitation.token}", study.id


def test_round_zero_on_a_phone(live_demo, phone_zh, round_zero_link):
    rid, link, sid = round_zero_link
    page = phone_zh.new_page()
    page.goto(link)
    page.goto(f"{live_demo.url}/expert/rounds/{rid}")      # the round's link leads to the round-0 page
    assert page.url.endswith(f"/expert/rounds/{rid}/round-zero")
    assert "请提出缺少的指标。" in page.content()

    # A new indicator asks where it belongs; a drop asks which indicator.
    assert page.locator("#parent").is_visible() and not page.locator("#node").is_visible()
    page.select_option("#kind", "drop")
    assert page.locator("#node").is_visible() and not page.locator("#parent").is_visible()
    page.select_option("#kind", "add")
    with live_demo.app.app_context():
        parent = db.session.scalar(select(Study).where(Study.id == sid)).root.children[0]
        parent_id = str(parent.id)
    page.select_option("#parent", parent_id)
    page.fill("#text", "数据安全能力")
    page.locator("form[data-r0-proposal] button[type=submit]").click()
    page.wait_for_load_state()
    assert "数据安全能力" in page.locator("#mine").inner_text()

    # The general comment saves itself while typing (no button pressed).
    page.fill("#comment", "建议增加收费合理性方面的指标。")
    page.locator("[data-status]").filter(has_text="✓").wait_for(timeout=10_000)

    def stored():
        with live_demo.app.app_context():
            return db.session.scalar(select(Proposal.text).where(
                Proposal.round_id == rid, Proposal.kind == ProposalKind.comment))

    wait_until(lambda: stored() == "建议增加收费合理性方面的指标。")
    with live_demo.app.app_context():
        added = db.session.scalar(select(Proposal).where(Proposal.round_id == rid, Proposal.kind == ProposalKind.add))
        assert (added.text, added.parent_node_id) == ("数据安全能力", int(parent_id))
