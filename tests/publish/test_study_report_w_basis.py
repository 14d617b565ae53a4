"""The study report says whom Kendall's W counts, as the dashboard and exports do (issue 9, item 3):
"W from m of n experts" beside W in HTML and DOCX, in both languages, with the warning below 70 %."""
from __future__ import annotations

from tests.publish.test_study_report import docx_text, expected, finished  # noqa: F401  (fixture)
from tests.webapp.test_dashboard_support import ROUND1, ROUND2


def answered(rows) -> int:
    return len(rows)


def test_report_prints_w_from_m_of_n_experts(coordinator_client, finished):  # noqa: F811
    w1, w2 = expected()
    n1, n2 = answered(ROUND1), answered(ROUND2)
    assert w1.m_used < n1                   # round 1 leaves an expert with "no opinion" out of W
    html = coordinator_client.get(f"/studies/{finished.study_id}/report/view?lang=en").text
    assert f'{w1.w:.3f} <span class="w-basis">from {w1.m_used} of {n1} experts</span>' in html
    assert f'{w2.w:.3f} <span class="w-basis">from {w2.m_used} of {n2} experts</span>' in html
    few = [w.m_used / n < 0.7 for w, n in ((w1, n1), (w2, n2))]
    assert html.count("fewer than 70% of respondents") == sum(few)
    docx = docx_text(coordinator_client.get(f"/studies/{finished.study_id}/report.docx?lang=en").data)
    assert f"{w1.w:.3f} from {w1.m_used} of {n1} experts" in docx
    zh = coordinator_client.get(f"/studies/{finished.study_id}/report/view?lang=zh").text
    assert f"{w1.w:.3f} <span class=\"w-basis\">" in zh and "from " not in zh.split("w-basis")[1][:40]
