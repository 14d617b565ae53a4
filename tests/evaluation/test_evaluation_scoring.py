"""evaluation.score: the seed's T = Σ T_i·S_i (section 5.2.5), missing data, coverage, refusals."""

import copy
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import evaluation
from evaluation import LowCoverageWarning, WeightTree, score

from .conftest import leaf_globals


def small_set():
    # goal G; elements A (S1 = 0.6) and B (S2 = 0.4); A has A1, A2 (0.7, 0.3); B has B1, B2, B3.
    nodes = [("G", None, 1.0), ("A", "G", 0.6), ("B", "G", 0.4), ("A1", "A", 0.7), ("A2", "A", 0.3),
             ("B1", "B", 0.5), ("B2", "B", 0.25), ("B3", "B", 0.25)]
    glob = {"G": 1.0}
    out = []
    for code, parent, local in nodes:
        if parent:
            glob[code] = glob[parent] * local
        out.append({"code": code, "parent": parent, "local_weight": local, "global_weight": glob[code],
                    "level": 0 if parent is None else (1 if parent == "G" else 2)})
    return {"schema": "weight-set/1", "nodes": out}


def test_seed_formula_by_hand():
    # T_A = 0.7·80 + 0.3·60 = 74; T_B = 0.5·90 + 0.25·70 + 0.25·50 = 75; T = 0.6·74 + 0.4·75 = 74.4
    r = score(small_set(), {"P": {"A1": 80, "A2": 60, "B1": 90, "B2": 70, "B3": 50}})
    assert_allclose(r.element_scores[0], [74.0, 75.0], atol=1e-12)
    assert_allclose(r.total, [74.4], atol=1e-12)
    assert r.elements == ("A", "B") and r.coverage[0] == 1.0 and r.missing == {"P": []}
    assert r.subtotal("P", "B") == pytest.approx(75.0)


def test_seed_hierarchy_against_plain_recursion(seed, seed_weight_set):
    """Independent path: T = Σ leaf global × score, and each T_i as the recursive weighted mean."""
    g = leaf_globals(seed)
    rng = np.random.default_rng(3)
    table = {f"P{i}": {c: float(v) for c, v in zip(g, rng.integers(0, 101, len(g)))} for i in range(6)}
    res = score(seed_weight_set, table)

    def node_score(node, row):
        kids = node.get("children") or []
        if not kids:
            return row[node["code"]]
        total = len(kids) * (len(kids) + 1) / 2
        return sum((len(kids) - i) / total * node_score(ch, row) for i, ch in enumerate(kids))

    for i, (obj, row) in enumerate(table.items()):
        flat = sum(g[c] * row[c] for c in g)
        assert res.total[i] == pytest.approx(flat, abs=1e-9)
        for k, elem in enumerate(seed["children"]):
            assert res.element_scores[i, k] == pytest.approx(node_score(elem, row), abs=1e-9)
        # T = Σ T_i · S_i with S = (0.4, 0.3, 0.2, 0.1)
        assert res.total[i] == pytest.approx(float(res.element_scores[i] @ [0.4, 0.3, 0.2, 0.1]), abs=1e-9)
    assert len(res.leaves) == 48 and res.elements == ("A", "B", "C", "D")


def test_missing_refused_by_default_and_names_the_cells():
    with pytest.raises(ValueError, match=r"missing.*P: A2") as exc:
        score(small_set(), {"P": {"A1": 80, "B1": 90, "B2": 70, "B3": 50}})
    assert "reweight" in str(exc.value)
    with pytest.raises(ValueError, match="missing"):
        score(small_set(), {"P": {"A1": 80, "A2": None, "B1": 90, "B2": 70, "B3": float("nan")}})


def test_reweight_within_sibling_groups_by_hand():
    # A2 missing: T_A = A1 = 80; B3 missing: T_B = (0.5·90 + 0.25·70)/0.75 = 83.333…
    r = score(small_set(), {"P": {"A1": 80, "B1": 90, "B2": 70}}, missing="reweight")
    assert_allclose(r.element_scores[0], [80.0, 62.5 / 0.75], atol=1e-12)
    assert r.total[0] == pytest.approx(0.6 * 80 + 0.4 * 62.5 / 0.75)
    # coverage = 0.42 + 0.2 + 0.1 = 0.72 of the weight
    assert r.coverage[0] == pytest.approx(0.72)
    assert_allclose(r.element_coverage[0], [0.7, 0.75])
    assert r.missing["P"] == ["A2", "B3"] and not r.low_coverage[0]


def test_element_without_data_drops_out_and_is_reported():
    with pytest.warns(LowCoverageWarning, match="65%"):
        r = score(small_set(), {"P": {"B1": 90, "B2": 70, "B3": 50}}, missing="reweight")
    assert math.isnan(r.element_scores[0, 0]) and r.element_scores[0, 1] == pytest.approx(75.0)
    assert r.total[0] == pytest.approx(75.0)   # only B has data: T = T_B
    assert r.coverage[0] == pytest.approx(0.4) and r.low_coverage[0]
    assert r.to_dict()["element_scores"][0][0] is None


def test_missing_never_zero():
    """Re-weighting differs from filling a missing score with 0."""
    full = score(small_set(), {"P": {"A1": 80, "A2": 0, "B1": 90, "B2": 70, "B3": 50}})
    gap = score(small_set(), {"P": {"A1": 80, "B1": 90, "B2": 70, "B3": 50}}, missing="reweight")
    assert gap.total[0] > full.total[0] + 1


@pytest.mark.parametrize("row, pattern", [
    ({"A1": 80, "A2": 60, "B1": 90, "B2": 70, "B3": 50, "Z9": 1}, "'Z9' is unknown"),
    ({"A": 80, "A1": 80, "A2": 60, "B1": 90, "B2": 70, "B3": 50}, "'A' is not a leaf"),
    ({"A1": 101, "A2": 60, "B1": 90, "B2": 70, "B3": 50}, r"scale \[0, 100\].*P/A1=101"),
    ({"A1": -1, "A2": 60, "B1": 90, "B2": 70, "B3": 50}, "off the scale"),
    ({"A1": "eighty", "A2": 60, "B1": 90, "B2": 70, "B3": 50}, "must be a number"),
    ({"A1": float("inf"), "A2": 60, "B1": 90, "B2": 70, "B3": 50}, "finite"),
])
def test_scores_refused(row, pattern):
    with pytest.raises(ValueError, match=pattern):
        score(small_set(), {"P": row})


def test_other_refusals():
    full = {"P": {"A1": 80, "A2": 60, "B1": 90, "B2": 70, "B3": 50}}
    with pytest.raises(ValueError, match="missing must be one of"):
        score(small_set(), full, missing="zero")
    with pytest.raises(ValueError, match="no score at all"):
        score(small_set(), {"Q": {}, **full}, missing="reweight")
    with pytest.raises(ValueError, match="coverage_threshold"):
        score(small_set(), full, coverage_threshold=2)
    with pytest.raises(ValueError, match="scale"):
        score(small_set(), full, scale=(10, 5))
    assert score(small_set(), {"P": {**full["P"], "A1": 400}}, scale=None).total[0] > 100


def broken(mutate):
    doc = copy.deepcopy(small_set())
    mutate(doc)
    return doc


@pytest.mark.parametrize("doc, pattern", [
    (broken(lambda d: d.update(schema="hierarchy/1")), "schema 'weight-set/1'"),
    (broken(lambda d: d["nodes"][4].update(local_weight=0.2, global_weight=0.12)), "children of 'A' sum to 0.9"),
    (broken(lambda d: d["nodes"][3].update(global_weight=0.7)), "global weight of 'A1'"),
    (broken(lambda d: d["nodes"][3].update(level=1)), "level of 'A1'"),
    (broken(lambda d: d["nodes"][5].update(parent=None)), "exactly one root"),
    (broken(lambda d: d["nodes"][5].update(parent="X")), "unknown parent 'X'"),
    (broken(lambda d: d["nodes"].append(dict(d["nodes"][3]))), "'A1' appears more than once"),
    (broken(lambda d: d["nodes"][3].update(local_weight=-0.1)), r"lie in \[0, 1\]"),
    (broken(lambda d: d.update(nodes=[])), "non-empty list"),
])
def test_weight_set_refused(doc, pattern):
    with pytest.raises(ValueError, match=pattern):
        score(doc, {"P": {"A1": 80}}, missing="reweight")


def test_cycle_refused():
    parents = {"G": None, "A": "B", "B": "A"}
    with pytest.raises(ValueError, match="not reachable"):
        WeightTree.from_parents(parents, {"A": 1, "B": 1})


def test_weight_set_must_match_hierarchy(seed, seed_weight_set):
    full = {c: 50 for c in leaf_globals(seed)}
    assert score(seed_weight_set, {"P": full}, hierarchy=seed).total[0] == pytest.approx(50)
    other = copy.deepcopy(seed)
    other["children"][0]["children"][0]["children"].pop()          # drop A1.3
    with pytest.raises(ValueError, match=r"hierarchy does not match.*only in the weight set \['A1.3'\]"):
        score(seed_weight_set, {"P": full}, hierarchy=other)
    moved = {n["code"]: n["parent"] for n in seed_weight_set["nodes"]}
    moved["A1.1"] = "A2"
    with pytest.raises(ValueError, match=r"another parent \['A1.1'\]"):
        WeightTree.from_dict(seed_weight_set, hierarchy=moved)


def test_array_input_and_result_dict(seed_weight_set):
    tree = WeightTree.from_dict(seed_weight_set)
    mat = np.full((2, len(tree.leaves)), 70.0)
    mat[1] = 90.0
    r = evaluation.score(tree, mat, objects=["x", "y"])
    assert_allclose(r.total, [70.0, 90.0])
    d = r.to_dict()
    assert d["objects"] == ["x", "y"] and d["missing"] == {"x": [], "y": []}
    assert r.rows()[1]["elements"] == {"A": 90.0, "B": 90.0, "C": 90.0, "D": 90.0}
    with pytest.raises(ValueError, match="read-only"):
        r.total[0] = 1
    with pytest.raises(ValueError, match="shape"):
        evaluation.score(tree, mat[:, :5])


def test_partial_weight_set_matches_upper_levels(seed, seed_weight_set):
    """A publisher may weight only the upper levels (unweighted levels are left out of the file)."""
    upper = copy.deepcopy({**seed_weight_set, "nodes": [n for n in seed_weight_set["nodes"] if n["level"] <= 2]})
    with pytest.raises(ValueError, match="only in the hierarchy"):
        WeightTree.from_dict(upper, hierarchy=seed)
    tree = WeightTree.from_dict(upper, hierarchy=seed, partial=True)
    assert "A1" in tree.leaves and "A1.1" not in tree.codes
    broken_group = {**upper, "nodes": [n for n in upper["nodes"] if n["code"] != "A4"]}
    for n in broken_group["nodes"]:
        if n["parent"] == "A":
            n["local_weight"] = {"A1": 0.4, "A2": 0.3, "A3": 0.3}[n["code"]]
            n["global_weight"] = 0.4 * n["local_weight"]
    with pytest.raises(ValueError, match=r"only in the hierarchy \['A4'\]"):
        WeightTree.from_dict(broken_group, hierarchy=seed, partial=True)
