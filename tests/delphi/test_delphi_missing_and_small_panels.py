"""Issue 9 in the library: W with missing ranks at the mid-rank, a minimum of paired experts
before "stable", and the "agree" cut stored in the consensus rule."""
import numpy as np
import pytest
from scipy import stats as st

import delphi

NAN = np.nan


def test_midrank_w_equals_a_hand_computation():
    """3 experts × 4 items, E3 has no opinion on item 2. Ranks (high rating = high rank):
    E1 4 3 2 1; E2 3 4 2 1; E3 rates 3 items → own ranks 3, –, 2, 1, centred on (n+1)/2 = 2.5:
    3.5, 2.5 (missing), 2.5, 1.5. Rank sums 10.5, 9.5, 6.5, 3.5; mean m(n+1)/2 = 7.5;
    S = 3² + 2² + 1² + 4² = 30; W = 12·30 / (3²·(4³ − 4)) = 360/540; χ² = m(n − 1)W = 6."""
    r = [[4, 3, 2, 1], [3, 4, 2, 1], [4, NAN, 2, 1]]
    res = delphi.kendall_w(r, False, missing="midrank")
    assert res.w == pytest.approx(2 / 3) and res.chi2 == pytest.approx(6.0)
    assert (res.m_used, res.m_dropped, res.m_total, res.missing) == (3, 0, 3, "midrank")
    assert res.p == pytest.approx(st.chi2.sf(6.0, 3))
    listwise = delphi.kendall_w(r, False)  # E1, E2 only: rank sums 7, 7, 4, 2 → S = 18, W = 216/240
    assert listwise.w == pytest.approx(0.9) and listwise.m_used == 2


def test_midrank_w_without_missing_ratings_is_friedmans_w():
    """No missing rating, no ties: W = Friedman's χ² / (m(n − 1)) (scipy, independent)."""
    rng = np.random.default_rng(7)
    r = np.array([rng.permutation(6) + 1 for _ in range(5)], dtype=float)
    chi2 = st.friedmanchisquare(*r.T).statistic
    assert delphi.kendall_w(r, False, missing="midrank").w == pytest.approx(chi2 / (5 * 5))


def test_midrank_w_keeps_experts_the_listwise_w_drops():
    r = np.array([[5, 4, 3, 2, 1], [5, 4, 3, NAN, 1], [4, 5, NAN, 2, 1], [NAN, 5, 4, 3, 2]])
    with pytest.raises(ValueError):  # listwise: only one complete row
        delphi.kendall_w(r)
    assert delphi.kendall_w(r, False, missing="midrank").m_used == 4


def test_midrank_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="correct_ties=False"):
        delphi.kendall_w([[1, 2, 3], [3, 2, 1]], missing="midrank")
    with pytest.raises(ValueError, match="missing"):
        delphi.kendall_w([[1, 2, 3], [3, 2, 1]], missing="pairwise")
    with pytest.raises(ValueError, match="at least 2 items"):
        delphi.kendall_w([[1, NAN, NAN], [3, 2, 1]], False, missing="midrank")


def test_four_experts_all_up_by_one_are_not_judged_stable_with_min_paired():
    """d = +1 for 4 experts: W+ = 10, no negative ranks; ties: all four |d| tied, so
    σ² = n(n+1)(2n+1)/24 − (4³ − 4)/48 = 7.5 − 1.25 = 6.25, z = (10 − 5 − 0.5)/2.5 = 1.8,
    p = 2·(1 − Φ(1.8)) = 0.0719 → "stable" at α = 0.05 by the test alone."""
    prev = np.array([[2.0], [3.0], [3.0], [4.0]])
    cur = prev + 1
    alone = delphi.stability(prev, cur)
    assert alone.p[0] == pytest.approx(2 * st.norm.sf(1.8)) and bool(alone.stable[0])
    guarded = delphi.stability(prev, cur, min_paired=6)
    assert guarded.p[0] == pytest.approx(alone.p[0]) and guarded.changed[0] == 1.0
    assert not guarded.judged[0] and not guarded.stable[0] and guarded.min_paired == 6
    history = [delphi.item_stats(prev), delphi.item_stats(cur)]
    decision = delphi.stopping(history, delphi.ConsensusRule(mean_min=4.5), 5, stability=guarded)
    assert decision.reason == "continue" and decision.not_judged == (0,) and decision.n_stable == 0


def test_min_paired_is_checked():
    with pytest.raises(ValueError, match="min_paired"):
        delphi.stability([[1.0], [2.0]], [[1.0], [2.0]], min_paired=0)


def test_the_agree_cut_is_part_of_the_rule():
    comet = delphi.ConsensusRule.preset("comet")
    assert (comet.agree_at, comet.scale) == (7.0, (1.0, 9.0))
    assert delphi.ConsensusRule.from_dict(comet.to_dict()) == comet
    # COMET: ratings 7-9 agree. Item ratings 7, 7, 8, 6, 9 → 4 of 5 = 80 % ≥ 70 %.
    stats = delphi.item_stats([[7], [7], [8], [6], [9]], scale_max=9, agree_at=comet.agree_at, scale_min=1)
    assert stats.agreement[0] == pytest.approx(0.8) and comet.evaluate(stats).reached[0]
    top_two = delphi.item_stats([[7], [7], [8], [6], [9]], scale_max=9, agree_at=8, scale_min=1)
    with pytest.raises(ValueError, match="agreement from 7"):
        comet.evaluate(top_two)
    assert delphi.ConsensusRule(agreement_min=0.7).agree_cut(1, 9) == 8.0  # no cut stored: top two
    assert delphi.ConsensusRule.preset("iqr-agreement").agree_cut(1, 5) == 4.0
    with pytest.raises(ValueError, match="agree_at"):
        delphi.ConsensusRule(agreement_min=0.7, scale=(1, 5), agree_at=7)
