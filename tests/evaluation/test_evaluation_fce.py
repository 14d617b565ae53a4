"""Fuzzy comprehensive evaluation: SPSSAU's worked example, the four operators by hand, hierarchy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evaluation import OPERATORS, WeightTree, fce, fce_hierarchy, membership, operator_name

# SPSSAU's public example (../shared/WEIGHTING.md, "Fuzzy comprehensive evaluation"):
A = [0.1, 0.1, 0.15, 0.3, 0.35]
R = [[0.2, 0.5, 0.3, 0], [0.1, 0.3, 0.5, 0.1], [0, 0.1, 0.6, 0.3], [0, 0.4, 0.5, 0.1], [0.5, 0.3, 0.2, 0]]


def test_spssau_weighted_average():
    # M(·,+) gives B = (0.205, 0.320, 0.390, 0.085), grade 3 (index 2) -- SPSSAU's published result
    r = fce(A, R)
    assert_allclose(r.b, [0.205, 0.320, 0.390, 0.085], atol=1e-12)
    assert r.grade == 2 and r.operator == "M(·,+)" and not r.tie


# The other operators on the same data, computed by hand from the definitions:
#   M(∧,∨): b_j = max_i min(a_i, r_ij) = (0.35, 0.30, 0.30, 0.15)              -> sum 1.10, grade 1
#   M(·,∨): b_j = max_i a_i r_ij       = (0.175, 0.12, 0.15, 0.045)            -> sum 0.49, grade 1
#   M(∧,⊕): b_j = min(1, Σ_i min(a_i, r_ij)) = (0.55, 0.90, 0.85, 0.35)        -> sum 2.65, grade 2
HAND = {
    "M(∧,∨)": ([0.35, 0.30, 0.30, 0.15], 0),
    "M(·,∨)": ([0.175, 0.12, 0.15, 0.045], 0),
    "M(∧,⊕)": ([0.55, 0.90, 0.85, 0.35], 1),
}


@pytest.mark.parametrize("op", list(HAND))
def test_other_operators_by_hand(op):
    raw, g = HAND[op]
    r = fce(A, R, op)
    assert_allclose(r.b_raw, raw, atol=1e-12)
    assert_allclose(r.b, np.array(raw) / sum(raw), atol=1e-12)
    assert r.grade == g


def test_verdict_flips_with_the_operator_and_is_reported():
    r = fce(A, R, grade_values=[95, 85, 75, 60], grades=["excellent", "good", "fair", "poor"])
    assert r.operators_agree is False
    assert {k: v["grade"] for k, v in r.by_operator.items()} == {
        "M(·,+)": 2, "M(∧,∨)": 0, "M(·,∨)": 0, "M(∧,⊕)": 1}
    # B·C = 0.205·95 + 0.32·85 + 0.39·75 + 0.085·60 = 81.025
    assert r.score == pytest.approx(81.025)
    assert r.to_dict()["grades"] == ["excellent", "good", "fair", "poor"]


def test_operators_agree_when_one_grade_dominates():
    r = fce([0.5, 0.5], [[8, 1, 1], [7, 2, 1]])
    assert r.operators_agree and r.grade == 0


def test_counts_are_normalised_and_aliases():
    counts = np.array(R) * 20                          # 20 raters' grade counts
    assert_allclose(fce(A, counts, "M(.,+)").b, fce(A, R).b)
    assert operator_name("M(^,v)") == "M(∧,∨)" and operator_name("M(^,+)") == "M(∧,⊕)"


def plain_compose(a, r, op):
    """Independent plain-loop composition (the textbook definitions)."""
    g = len(r[0])
    out = []
    for j in range(g):
        terms = [(a[i], r[i][j]) for i in range(len(a))]
        if op == "M(·,+)":
            out.append(sum(x * y for x, y in terms))
        elif op == "M(∧,∨)":
            out.append(max(min(x, y) for x, y in terms))
        elif op == "M(·,∨)":
            out.append(max(x * y for x, y in terms))
        else:
            out.append(min(1.0, sum(min(x, y) for x, y in terms)))
    s = sum(out)
    return [v / s for v in out]


@pytest.mark.parametrize("op", OPERATORS)
def test_stack_matches_plain_loop(op):
    rng = np.random.default_rng(5)
    a = rng.dirichlet(np.ones(6))
    stack = rng.integers(0, 10, (7, 6, 5)) + 0.5
    res = fce(a, stack, op)
    for k in range(7):
        rows = (stack[k] / stack[k].sum(axis=1, keepdims=True)).tolist()
        assert_allclose(res.b[k], plain_compose(a.tolist(), rows, op), atol=1e-12)


def test_membership_from_ratings():
    # 4 raters, 2 indicators, grades 0..2; rater 4 skipped indicator 2
    m = membership([[0, 1], [0, 2], [1, 2], [0, -1]], 3)
    assert_allclose(m, [[0.75, 0.25, 0], [0, 1 / 3, 2 / 3]])
    with pytest.raises(ValueError, match="grade indices 0..2"):
        membership([[3]], 3)
    with pytest.raises(ValueError, match="no membership"):
        membership([[-1, 0]], 3)


@pytest.mark.parametrize("args, pattern", [
    ((A, R, "M(max,min)"), "operator must be one of"),
    (([0.5, 0.6], [[1, 0], [0, 1]]), "weights must sum to 1"),
    (([-0.5, 1.5], [[1, 0], [0, 1]]), "non-negative"),
    ((A, R[:4]), r"membership must have shape \(5, g\)"),
    (([1.0], [[0, 0]]), "no membership"),
    (([1.0], [[-1, 2]]), "non-negative"),
])
def test_fce_refusals(args, pattern):
    with pytest.raises(ValueError, match=pattern):
        fce(*args)
    with pytest.raises(ValueError, match="grade_values"):
        fce(A, R, grade_values=[1, 2])


def tree():
    return WeightTree.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "A2": "A", "B1": "B", "B2": "B", "B3": "B"},
                                   {"A": 0.6, "B": 0.4, "A1": 0.7, "A2": 0.3, "B1": 0.5, "B2": 0.25, "B3": 0.25})


@pytest.mark.parametrize("op", OPERATORS)
def test_hierarchy_composes_level_by_level(op):
    rng = np.random.default_rng(11)
    rows = {c: rng.integers(0, 6, 4) + 1 for c in ("A1", "A2", "B1", "B2", "B3")}
    res = fce_hierarchy(tree(), {"P": rows, "Q": {c: v[::-1] for c, v in rows.items()}}, op, grade_values=[4, 3, 2, 1])
    norm = {c: (v / v.sum()).tolist() for c, v in rows.items()}
    b_a = plain_compose([0.7, 0.3], [norm["A1"], norm["A2"]], op)
    b_b = plain_compose([0.5, 0.25, 0.25], [norm["B1"], norm["B2"], norm["B3"]], op)
    b_g = plain_compose([0.6, 0.4], [b_a, b_b], op)
    assert_allclose(res.node("P", "A"), b_a, atol=1e-12)
    assert_allclose(res.node("P", "B"), b_b, atol=1e-12)
    assert_allclose(res.node("P", "G"), b_g, atol=1e-12)
    assert res.grade[0] == int(np.argmax(b_g))
    assert res.score[0] == pytest.approx(float(np.dot(b_g, [4, 3, 2, 1])))
    assert res.operator == op and res.objects == ("P", "Q")


def test_hierarchy_weighted_average_equals_one_level_with_global_weights():
    """For M(·,+) composition is linear, so the root B = Σ leaf global × leaf row."""
    t = tree()
    rng = np.random.default_rng(2)
    arr = rng.dirichlet(np.ones(5), size=(3, 5))
    res = fce_hierarchy(t, arr)
    g = t.glob[t.leaf_index]
    assert_allclose(res.b[:, 0], np.einsum("j,mjg->mg", g, arr), atol=1e-12)


def test_hierarchy_refusals():
    rows = {c: [1, 1] for c in ("A1", "A2", "B1", "B2", "B3")}
    with pytest.raises(ValueError, match=r"no grades for leaves \['B3'\]"):
        fce_hierarchy(tree(), {"P": {c: v for c, v in rows.items() if c != "B3"}})
    with pytest.raises(ValueError, match="codes \\['Z'\\] are unknown"):
        fce_hierarchy(tree(), {"P": {**rows, "Z": [1, 1]}})
    with pytest.raises(ValueError, match="codes \\['A'\\] are not leaves"):
        fce_hierarchy(tree(), {"P": {**rows, "A": [1, 1]}})
    with pytest.raises(ValueError, match="same number of grades"):
        fce_hierarchy(tree(), {"P": {**rows, "A1": [1, 1, 1]}})
