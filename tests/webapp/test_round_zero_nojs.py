"""Round 0's proposal form without JavaScript: the fields of each kind of proposal sit in a <details>,
only the chosen kind's (or one with an error) open, so the coordinator's preview and the expert's page
no longer show every field at once; round_zero.js (loaded by both) only enhances."""
from __future__ import annotations

import re

from tests.webapp.test_round_zero import (  # noqa: F401 (fixtures)
    create_round_zero,
    expert,
    open_round_zero,
    propose,
    study_with_panel,
)


def kind_boxes(html: str) -> dict:
    """{data-r0-for: (open?, the ids of the fields inside)} of the proposal form."""
    form = html[html.index("data-r0-proposal"):]
    form = form[:form.index("</form>")]
    boxes = {}
    for attrs, body in re.findall(r'<details class="r0-kind-fields" ([^>]*)>(.*?)</details>', form, re.S):
        kinds = re.search(r'data-r0-for="([^"]+)"', attrs).group(1)
        boxes[kinds] = (" open" in attrs, re.findall(r'<(?:select|textarea|input)[^>]* id="([^"]+)"', body))
    return boxes


def test_preview_folds_the_fields_of_the_other_kinds(app, coordinator_client, study_with_panel):  # noqa: F811
    sid, _tokens = study_with_panel
    rid = create_round_zero(coordinator_client, sid)
    preview = f"/studies/{sid}/rounds/{rid}/round-zero/preview"
    html = coordinator_client.get(preview).get_data(as_text=True)
    assert kind_boxes(html) == {"add": (True, ["parent", "description"]), "reword merge drop": (False, ["node"])}
    assert "For a new indicator: where it belongs and what it measures" in html
    assert "js/round_zero.js" in html                                  # the preview is enhanced too
    form = html[html.index("data-r0-proposal"):html.index("</form>", html.index("data-r0-proposal"))]
    # every field is in the page once: the kind, the text and the rationale stay unfolded
    for name in ("kind", "text", "rationale", "parent", "node", "description"):
        assert len(re.findall(f'name="{name}"', form)) == 1, name
    dropped = coordinator_client.get(f"{preview}?kind=drop&text=x").get_data(as_text=True)
    assert kind_boxes(dropped) == {"add": (False, ["parent", "description"]), "reword merge drop": (True, ["node"])}
    zh = coordinator_client.get(f"{preview}?lang=zh").get_data(as_text=True)
    assert "新增指标时：所属位置及其衡量内容" in zh and "修改措辞、合并或删除指标时：涉及哪个指标" in zh


def test_the_experts_page_opens_the_box_with_the_error(app, open_round_zero):  # noqa: F811
    _sid, rid, (t1, _t2) = open_round_zero
    client = expert(app, t1)
    page = client.get(f"/expert/rounds/{rid}/round-zero").get_data(as_text=True)
    assert kind_boxes(page) == {"add": (True, ["parent", "description"]), "reword merge drop": (False, ["node"])}
    refused = propose(client, rid, kind="drop", text="Drop it")     # no indicator chosen
    assert refused.status_code == 400
    boxes = kind_boxes(refused.get_data(as_text=True))
    assert boxes["reword merge drop"][0] and not boxes["add"][0]
    refused = propose(client, rid, kind="add", text="Fees")          # no place chosen
    assert refused.status_code == 400
    assert kind_boxes(refused.get_data(as_text=True))["add"][0]
