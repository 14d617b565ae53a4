"""evaluation.weight_stability: exact breakpoints, checked by recomputing totals around them."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from evaluation import WeightTree, weight_stability

from .conftest import load_seed


def test_two_objects_by_hand():
    # T1(x) = 90x + 70(1-x), T2(x) = 60x + 95(1-x): equal at x = 25/55; object 1 leads for x > 0.4545
    r = weight_stability([0.5, 0.5], [[90, 70], [60, 95]], codes=["x", "y"], bands=False)
    assert_allclose(r.rank_interval, [[25 / 55, 1.0], [0.0, 30 / 55]], atol=1e-12)
    assert r.low_event[0] == "rank: 1 ↔ 2" and r.method == "exact"
    # with the seed bands: T1(x) = 70 + 20x stays in [80, 90) for x in [0.5, 1]; at x = 0.5 it is 80 exactly,
    # so any decrease of x drops object 1 to three stars: the grade interval of x starts at 0.5.
    g = weight_stability([0.5, 0.5], [[90, 70], [60, 95]], codes=["x", "y"], objects=["P", "Q"])
    assert g.grade_interval[0, 0] == pytest.approx(0.5)
    assert g.low_event[0] == "grade: P (80)"
    # T2(x) = 95 - 35x = 77.5 at 0.5; reaches 80 (four stars) at x = 3/7 and 70 at x = 5/7
    assert g.grade_interval[0, 1] == pytest.approx(5 / 7)
    assert_allclose(g.interval[0], [0.5, 5 / 7])


# ------------------------------------------------------------------ independent recomputation
def plain_totals(hier, local, scores):
    """T by plain recursion with explicit local weights {code: w}."""
    def node(n, row):
        kids = n.get("children") or []
        if not kids:
            return row[n["code"]]
        return sum(local[c["code"]] * node(c, row) for c in kids)
    return np.array([node(hier, row) for row in scores.values()])


def moved(hier, local, code, x):
    """Local weights with `code` set to x and its siblings rescaled proportionally."""
    parent = {c["code"]: n["code"] for n in walk(hier) for c in n.get("children") or []}
    sibs = [c["code"] for n in walk(hier) if n["code"] == parent[code] for c in n["children"]]
    out = dict(local)
    for s in sibs:
        out[s] = x if s == code else local[s] * (1 - x) / (1 - local[code])
    return out


def walk(n):
    yield n
    for c in n.get("children") or []:
        yield from walk(c)


def state(t):
    order = tuple(np.argsort(-t, kind="stable"))
    stars = tuple(5 if v >= 90 else 4 if v >= 80 else 3 if v >= 70 else 2 if v >= 60 else 1 for v in t)
    return order, stars


def test_seed_intervals_hold_inside_and_break_outside(seed_weight_set):
    hier = load_seed()
    local = {n["code"]: n["local_weight"] for n in seed_weight_set["nodes"]}
    leaves = [n["code"] for n in walk(hier) if not n.get("children")]
    rng = np.random.default_rng(8)
    scores = {f"P{i}": {c: float(v) for c, v in zip(leaves, rng.uniform(55, 98, len(leaves)))} for i in range(6)}
    r = weight_stability(seed_weight_set, scores)
    now = state(plain_totals(hier, local, scores))
    checked = 0
    for code, (lo, hi) in zip(r.codes, r.interval):
        w = local[code]
        assert lo <= w + 1e-12 and w <= hi + 1e-12
        for x in (lo + 1e-7, hi - 1e-7, (lo + w) / 2, (hi + w) / 2):
            if 0 < x < 1:
                assert state(plain_totals(hier, moved(hier, local, code, x), scores)) == now, (code, x)
        for x, edge in ((lo - 1e-7, lo), (hi + 1e-7, hi)):
            if 0 < edge < 1 and 0 < x < 1:
                assert state(plain_totals(hier, moved(hier, local, code, x), scores)) != now, (code, x)
                checked += 1
    assert checked > 20            # many intervals end inside (0, 1) on this data
    s2 = r.codes.index("B")
    assert r.weights[s2] == pytest.approx(0.3)


def test_only_child_is_fixed_and_ties_are_not_swaps():
    t = WeightTree.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "B1": "B", "B2": "B"},
                                {"A": 0.5, "B": 0.5, "A1": 1.0, "B1": 0.5, "B2": 0.5})
    r = weight_stability(t, {"P": {"A1": 50, "B1": 50, "B2": 50}, "Q": {"A1": 50, "B1": 50, "B2": 50}},
                         bands=False)
    a1 = r.codes.index("A1")
    assert r.fixed[a1] and r.interval[a1].tolist() == [1.0, 1.0]
    assert r.rank_interval[r.codes.index("A")].tolist() == [0.0, 1.0]    # identical objects never swap


def test_refusals():
    with pytest.raises(ValueError, match="sum to 1"):
        weight_stability([0.5, 0.6], [[1, 2]])
    with pytest.raises(ValueError, match="complete"):
        weight_stability([0.5, 0.5], [[1, np.nan]])
    with pytest.raises(ValueError, match="1-D"):
        weight_stability([[0.5, 0.5]], [[1, 2]])
    with pytest.raises(ValueError, match="gap"):
        weight_stability([0.5, 0.5], [[1, 2]], bands=[{"stars": 1, "min": 5}])
