"""Round pages name their study in the crumbs (found by the whole-study browser test: with
several studies, a round page showed only "Studies" and the round's own title)."""
from __future__ import annotations

from tests.webapp.test_dashboard_support import alice, build_round


def test_round_pages_name_their_study(app, coordinator_client):
    built = build_round(app, alice(app), title="Crumbs study 面包屑")
    for path in (f"/studies/{built.study_id}/rounds/{built.round_id}",
                 f"/studies/{built.study_id}/rounds/new"):
        page = coordinator_client.get(path).get_data(as_text=True)
        crumbs = page.split('class="crumbs"', 1)[1].split("</p>", 1)[0]
        assert f'href="/studies/{built.study_id}"' in crumbs and "Crumbs study 面包屑" in crumbs, path
    # the study's own page does not link to itself
    page = coordinator_client.get(f"/studies/{built.study_id}").get_data(as_text=True)
    assert "Crumbs study" not in page.split('class="crumbs"', 1)[1].split("</p>", 1)[0]
