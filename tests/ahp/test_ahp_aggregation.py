"""AIJ, AIP, Goepel's S* (against a transcription of AHP-OS) and the group convenience."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

RNG = np.random.default_rng(3)


def random_stack(k, n):
    return ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, (k, n * (n - 1) // 2)), n)


def test_aij_is_the_weighted_geometric_mean_cell_by_cell():
    stack = random_stack(4, 5)
    weights = np.array([1.0, 2.0, 0.5, 0.5])
    omega = weights / weights.sum()
    g = ahp.aggregate_judgments(stack, weights)
    for i in range(5):
        for j in range(5):
            expected = math.prod(stack[k, i, j] ** omega[k] for k in range(4))
            assert g[i, j] == pytest.approx(expected, rel=1e-13)


def test_aij_equal_weights_default_and_exact_reciprocity():
    stack = random_stack(9, 6)
    g = ahp.aggregate_judgments(stack)
    assert_allclose(g, ahp.aggregate_judgments(stack, np.ones(9) * 3.7), rtol=1e-14)
    assert np.array_equal(np.diag(g), np.ones(6))
    assert_allclose(g * g.T, 1.0, rtol=0, atol=5e-16)  # reciprocal to rounding
    ahp.validate_matrix(g, scale=False)


def test_aij_unanimity_and_weight_on_one_expert():
    a = random_stack(1, 4)[0]
    assert_allclose(ahp.aggregate_judgments([a, a, a]), a, rtol=1e-14)
    stack = random_stack(3, 4)
    assert_allclose(ahp.aggregate_judgments(stack, [0, 1, 0]), stack[1], rtol=1e-14)


def test_aij_with_leading_axes():
    stack = random_stack(6, 3).reshape(2, 3, 3, 3)
    g = ahp.aggregate_judgments(stack)
    assert g.shape == (2, 3, 3)
    assert_allclose(g[1], ahp.aggregate_judgments(stack[1]), rtol=1e-14)


def test_aip_geometric_and_arithmetic():
    v = ahp.priorities(random_stack(5, 4))
    w = np.array([3, 1, 1, 0, 5.0])
    omega = w / w.sum()
    geo = np.array([math.prod(v[k, j] ** omega[k] for k in range(5)) for j in range(4)])
    assert_allclose(ahp.aggregate_priorities(v, w), geo / geo.sum(), atol=1e-15)
    assert_allclose(ahp.aggregate_priorities(v, w, method="arithmetic"), omega @ v, atol=1e-15)
    with pytest.raises(ValueError, match="method must be one of 'geometric', 'arithmetic'"):
        ahp.aggregate_priorities(v, method="median")


def test_aip_renormalises_rows():
    assert_allclose(ahp.aggregate_priorities([[2, 2], [1, 3]]), ahp.aggregate_priorities([[0.5, 0.5], [0.25, 0.75]]))


@pytest.mark.parametrize("weights", [None, [1, 2, 3, 4, 5, 6]])
def test_rgmm_makes_aij_and_aip_coincide(weights):
    # Barzilai & Golany (1994): with row geometric means, AIJ then RGMM == RGMM then geometric AIP.
    stack = random_stack(6, 5)
    via_aij = ahp.priorities(ahp.aggregate_judgments(stack, weights), "geometric")
    via_aip = ahp.aggregate_priorities(ahp.priorities(stack, "geometric"), weights)
    assert_allclose(via_aij, via_aip, atol=1e-15)


# --- S*: a line-by-line transcription of AHP-OS classes/AhpGroup.php
# (getShannonBeta, getConsensus, ahpShannonCor), written with plain loops.
def s_star_ahp_os(prio, m_scale=9.0):
    k = len(prio)
    n = len(prio[0])
    pp_avg = [0.0] * n
    ppal = 0.0
    for row in prio:
        pp_ln = 0.0
        for c, p in enumerate(row):
            pp_ln += -1.0 * p * math.log(p)
            pp_avg[c] += p
        ppal += pp_ln
    ppal /= k
    pgam = 0.0
    for c in range(n):
        pavg = pp_avg[c] / k
        pgam += -1.0 * pavg * math.log(pavg)
    pbet = pgam - ppal
    halmin = m_scale / (n + m_scale - 1.0)
    halmin *= -math.log(halmin)
    tmp = 1.0 / (n + m_scale - 1.0)
    tmp *= -math.log(tmp)
    halmin += (n - 1) * tmp
    hgamax = math.log(n)
    cor = math.exp(hgamax - halmin)
    return ((1.0 / math.exp(pbet) - 1.0 / cor)) / (1.0 - 1.0 / cor), ppal, pgam, pbet


@pytest.mark.parametrize("k, n", [(2, 2), (3, 4), (10, 5), (40, 9), (7, 12)])
def test_s_star_matches_ahp_os_transcription(k, n):
    vectors = ahp.priorities(random_stack(k, n))
    expected, h_alpha, h_gamma, h_beta = s_star_ahp_os(vectors.tolist())
    c = ahp.consensus(vectors)
    assert c.s_star == pytest.approx(expected, abs=1e-12)
    assert (c.h_alpha, c.h_gamma, c.h_beta) == pytest.approx((h_alpha, h_gamma, h_beta), abs=1e-12)
    assert (c.k, c.n, c.scale_max) == (k, n, 9.0)


@pytest.mark.parametrize("m", [3, 3.321928095, 81])
def test_s_star_other_scale_maxima(m):
    vectors = ahp.priorities(random_stack(5, 4))
    assert ahp.consensus(vectors, scale_max=m).s_star == pytest.approx(
        s_star_ahp_os(vectors.tolist(), m)[0], abs=1e-12
    )


def test_s_star_ignores_expert_order_and_duplication():
    vectors = ahp.priorities(random_stack(6, 5))
    s = ahp.consensus(vectors).s_star
    assert ahp.consensus(vectors[::-1]).s_star == pytest.approx(s, abs=1e-14)
    assert ahp.consensus(np.concatenate([vectors, vectors])).s_star == pytest.approx(s, abs=1e-14)


@pytest.mark.parametrize(("n", "k"), [(6, 3), (7, 3), (9, 5)])
def test_identical_experts_have_s_star_exactly_one(n, k):
    """Identical priority vectors: H_gamma = H_alpha, so H_beta = 0 and S* = 1 exactly (Goepel
    2013, AHP consensus indicator; H_beta >= 0 by the concavity of entropy). Equal weights 1/n
    with these (n, k) once gave S* = 1.000000000000001 by rounding, which the weight-set
    schema (S* <= 1) refused when a whole panel agreed on a block."""
    c = ahp.consensus([[1 / n] * n] * k)
    assert c.h_beta == 0.0 and c.s_star == 1.0


def test_dispersion_is_geometric_standard_deviation():
    vectors = ahp.priorities(random_stack(8, 4))
    c = ahp.consensus(vectors)
    for j in range(4):
        logs = [math.log(v) for v in vectors[:, j]]
        mean = sum(logs) / 8
        sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 7)
        assert c.dispersion[j] == pytest.approx(math.exp(sd), rel=1e-12)


def test_single_expert_has_no_consensus_value():
    c = ahp.consensus([[0.5, 0.3, 0.2]])
    assert math.isnan(c.s_star) and c.wording == "n/a"
    assert np.all(np.isnan(c.dispersion))


@pytest.mark.parametrize(
    "s, ahp_os, blog",
    [
        (0.0, "very low", "very low"),
        (0.50, "very low", "very low"),
        (0.51, "low", "low"),
        (0.64, "low", "moderate"),
        (0.65, "low", "moderate"),
        (0.70, "moderate", "moderate"),
        (0.75, "moderate", "moderate"),
        (0.80, "high", "high"),
        (0.85, "high", "high"),
        (0.86, "very high", "high"),
        (0.875, "very high", "high"),
        (0.9, "very high", "very high"),
        (1.0, "very high", "very high"),
    ],
)
def test_wording_bands(s, ahp_os, blog):
    # AHP-OS AhpGroup.php consensusWording / Goepel (2018) Table 2: <=50, 65, 75, 85 %;
    # bpmsg.com "AHP Consensus Word Scale": <0.5, 0.625, 0.75, 0.875.
    assert ahp.consensus_wording(s) == ahp_os
    assert ahp.consensus_wording(s, "bpmsg_blog") == blog
    assert ahp.consensus_wording(s, (0.2, 0.4, 0.6, 0.8)) == ["very low", "low", "moderate", "high", "very high"][
        int(s > 0.2) + int(s > 0.4) + int(s > 0.6) + int(s > 0.8)
    ]


def test_consensus_wording_follows_s_star():
    vectors = ahp.priorities(random_stack(12, 4))
    c = ahp.consensus(vectors, wording="bpmsg_blog")
    assert c.wording == ahp.consensus_wording(c.s_star, "bpmsg_blog")


@pytest.mark.parametrize("method", ["eigen", "geometric", "arithmetic"])
def test_analyze_group_equals_the_separate_calls(method):
    stack = random_stack(15, 5)
    weights = RNG.uniform(0, 1, 15)
    g = ahp.analyze_group(stack, weights, method=method, threshold="saaty", ri="saaty2005")
    assert_allclose(g.individual, ahp.priorities(stack, method), atol=1e-15)
    cons = ahp.consistency(stack, threshold="saaty", ri="saaty2005")
    assert_allclose(g.consistency.cr, cons.cr, atol=1e-15)
    assert_allclose(g.consistency.gci, cons.gci, atol=1e-15)
    assert_allclose(g.aij_matrix, ahp.aggregate_judgments(stack, weights), rtol=1e-15)
    assert_allclose(g.aij, ahp.priorities(g.aij_matrix, method), atol=1e-15)
    assert g.aij_consistency.cr == pytest.approx(ahp.consistency(g.aij_matrix, ri="saaty2005").cr, abs=1e-15)
    assert_allclose(g.aip, ahp.aggregate_priorities(g.individual, weights), atol=1e-15)
    assert g.consensus.s_star == pytest.approx(ahp.consensus(g.individual).s_star, abs=1e-15)
    assert_allclose(g.weights, weights / weights.sum())
    assert g.method == method


def test_analyze_group_refuses_single_items_and_unstacked_input():
    with pytest.raises(ValueError, match="at least 2 items"):
        ahp.analyze_group(np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match=r"stack must be a stack of shape \(k, n, n\)"):
        ahp.analyze_group(np.ones((3, 3)))


def test_results_are_read_only_and_json_ready():
    import json

    g = ahp.analyze_group(random_stack(4, 3))
    with pytest.raises(ValueError):
        g.individual[0, 0] = 1.0
    with pytest.raises(ValueError):
        g.consistency.cr[0] = 0.0
    d = json.loads(json.dumps(g.to_dict()))
    assert d["aij"] == pytest.approx(g.aij.tolist())
    assert d["consistency"]["cr"] == pytest.approx(g.consistency.cr.tolist())
    assert d["consensus"]["wording"] == g.consensus.wording
    single = ahp.consensus([[0.5, 0.5]]).to_dict()
    assert single["s_star"] is None and single["dispersion"] == [None, None]
    hint = ahp.revision_hints(ahp.from_upper([9, 1 / 9, 9], 3))[0].to_dict()
    assert set(hint) == {"i", "j", "current", "suggested", "cr_after", "epsilon", "derivative"}
