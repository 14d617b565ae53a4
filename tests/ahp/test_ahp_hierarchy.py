"""Hierarchy: the seed's 16 sibling groups, global weights, validation, whole-panel synthesis."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ahp

# A copy of /work/shared/reference/seed-indicators.json (hierarchy/1), kept with
# the tests so that a clean clone can run them.
SEED = json.loads((Path(__file__).parent / "data" / "seed-indicators.json").read_text(encoding="utf-8"))
RNG = np.random.default_rng(17)


@pytest.fixture(scope="module")
def seed():
    return ahp.Hierarchy.from_dict(SEED)


def walk(node, parent=None):
    """Independent traversal of the JSON: (code, parent, child codes) for every node."""
    kids = node.get("children", [])
    yield node["code"], parent, [c["code"] for c in kids]
    for c in kids:
        yield from walk(c, node["code"])


def test_seed_has_16_groups_in_level_order(seed):
    groups = seed.groups()
    assert len(groups) == 16
    # Level by level: the goal, then the four first-level indicators, then their groups.
    assert [p for p, _ in groups] == [
        "SQ", "A", "B", "C", "D", "A1", "A2", "A3", "A4", "B1", "B2", "B3", "D1", "D2", "D3", "D4",
    ]
    expected = {code: kids for code, _, kids in walk(SEED) if len(kids) >= 2}
    assert dict(groups) == expected
    assert groups[0] == ("SQ", ["A", "B", "C", "D"])
    assert sorted(len(k) for _, k in groups) == sorted(len(k) for k in expected.values())


def test_seed_structure(seed):
    nodes = list(walk(SEED))
    assert len(seed) == len(nodes) and seed.root == "SQ"
    assert set(seed.codes) == {c for c, _, _ in nodes}
    assert seed.leaves() == [c for c in seed.codes if not dict((c, k) for c, _, k in nodes)[c]]
    for code, parent, kids in nodes:
        assert seed.parent(code) == parent
        assert seed.children(code) == kids
    assert seed.name("A1")["en"] == "Testing capability"
    assert "A1" in seed and "Z9" not in seed


def random_local(h):
    local = {}
    for _, kids in h.groups():
        w = RNG.uniform(0.05, 1, len(kids))
        local.update(zip(kids, w / w.sum()))
    return local


def test_global_weights_multiply_down_the_tree(seed):
    local = random_local(seed)
    glob = seed.global_weights(local)
    for code, parent, _ in walk(SEED):
        if parent is None:
            continue
        path, node = [], code
        while node != "SQ":
            path.append(local[node])
            node = seed.parent(node)
        assert glob[code] == pytest.approx(math.prod(path), rel=1e-14)
    assert sum(glob[c] for c in seed.leaves()) == pytest.approx(1.0, abs=1e-14)
    assert set(glob) == set(seed.codes) - {"SQ"}


def test_only_child_gets_weight_one_without_a_question():
    h = ahp.Hierarchy.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "B1": "B", "B2": "B"})
    assert h.groups() == [("G", ["A", "B"]), ("B", ["B1", "B2"])]
    glob = h.global_weights({"A": 0.6, "B": 0.4, "B1": 0.25, "B2": 0.75})
    assert glob["A1"] == pytest.approx(0.6, abs=1e-15)
    assert h.global_weights({"A": 0.6, "B": 0.4, "B1": 0.25, "B2": 0.75, "A1": 1.0})["A1"] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="local\\['A1'\\] must be 1: it is the only child of 'A'"):
        h.global_weights({"A": 0.6, "B": 0.4, "B1": 0.25, "B2": 0.75, "A1": 0.5})


def test_global_weights_with_one_weight_per_expert():
    h = ahp.Hierarchy.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "A2": "A"})
    glob = h.global_weights({"A": [0.5, 0.9], "B": [0.5, 0.1], "A1": [0.2, 0.5], "A2": [0.8, 0.5]})
    assert_allclose(glob["A1"], [0.1, 0.45])
    assert_allclose(glob["A2"] + glob["A1"] + glob["B"], [1, 1])


@pytest.mark.parametrize(
    "local, message",
    [
        ({"A": 0.5, "B": 0.5, "Z": 1.0}, r"local has the code 'Z', which is not in the hierarchy"),
        ({"A": 0.5}, r"local lacks the weights of \['B'\] \(children of 'G'\)"),
        ({"A": 0.5, "B": 0.6}, r"children of 'G' sum to"),
        ({"A": 1.5, "B": -0.5}, r"local\['B'\] = -0.5: weights must be finite and non-negative"),
        ({"A": float("nan"), "B": 0.5}, r"local\['A'\] = nan: weights must be finite"),
        ({"G": 0.5, "A": 0.5, "B": 0.5}, r"local\['G'\] is the root"),
    ],
)
def test_global_weights_errors(local, message):
    h = ahp.Hierarchy.from_parents({"G": None, "A": "G", "B": "G"})
    with pytest.raises(ValueError, match=message):
        h.global_weights(local)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "G", "children": [{"code": "A"}, {"code": "A"}]}, "code 'A' appears more than once"),
        ({"code": "G", "children": [{"code": "G"}]}, "code 'G' appears more than once"),
        ({"code": "", "children": []}, r"data needs a non-empty string 'code'"),
        ({"children": []}, r"data needs a non-empty string 'code'"),
        ({"code": "G", "children": [{"name": "x"}]}, r"data\['children'\]\[0\] needs a non-empty string 'code'"),
        ({"code": "G", "children": "A,B"}, r"data\['children'\] must be a list of nodes"),
        ({"code": "G", "children": ["A"]}, r"data\['children'\]\[0\] must be a mapping"),
        ({"schema": "hierarchy/2", "code": "G"}, "schema 'hierarchy/2'; expected 'hierarchy/1'"),
        ([1, 2], "data must be a mapping"),
    ],
)
def test_from_dict_errors(data, message):
    with pytest.raises(ValueError, match=message):
        ahp.Hierarchy.from_dict(data)


def test_from_dict_refuses_a_node_nested_in_itself():
    node = {"code": "G", "children": []}
    node["children"].append({"code": "A", "children": [node]})
    with pytest.raises(ValueError, match="cycle|more than once"):
        ahp.Hierarchy.from_dict(node)


@pytest.mark.parametrize(
    "parents, message",
    [
        ({"G": None, "A": "B", "B": "A"}, r"not reachable from the root 'G' \(unknown parent or a cycle\)"),
        ({"G": None, "A": "A"}, r"not reachable from the root"),
        ({"G": None, "H": None, "A": "G"}, r"exactly one root .*\['G', 'H'\]"),
        ({"A": "B", "B": "A"}, r"exactly one root"),
        ({"G": None, "A": "X"}, r"the parent 'X' of 'A' is not a code of the hierarchy"),
    ],
)
def test_from_parents_errors(parents, message):
    with pytest.raises(ValueError, match=message):
        ahp.Hierarchy.from_parents(parents)


def test_constructor_detects_cycles_and_duplicates():
    with pytest.raises(ValueError, match="'G' is its own ancestor"):
        ahp.Hierarchy("G", {"G": ["A"], "A": ["G"]})
    with pytest.raises(ValueError, match="'B' appears more than once"):
        ahp.Hierarchy("G", {"G": ["A", "B"], "A": ["B"]})


def test_unknown_code_queries():
    h = ahp.Hierarchy.from_dict(SEED)
    with pytest.raises(ValueError, match="code 'Z' is not in the hierarchy"):
        h.children("Z")


def random_panel(h, k):
    judgments = {}
    for parent, kids in h.groups():
        n = len(kids)
        judgments[parent] = ahp.from_upper(RNG.choice(ahp.SAATY_VALUES, (k, n * (n - 1) // 2)), n)
    return judgments


def test_analyze_seed_panel(seed):
    k = 25
    judgments = random_panel(seed, k)
    weights = RNG.uniform(0.5, 2, k)
    r = seed.analyze(judgments, weights)
    assert list(r.groups) == [p for p, _ in seed.groups()]
    for parent, kids in seed.groups():
        g = r.groups[parent]
        ref = ahp.analyze_group(judgments[parent], weights)
        assert_allclose(g.aij, ref.aij, atol=1e-15)
        assert g.consistency.cr.shape == (k,)
        assert [r.local_aij[c] for c in kids] == pytest.approx(g.aij.tolist(), abs=1e-15)
        assert [r.local_aip[c] for c in kids] == pytest.approx(g.aip.tolist(), abs=1e-15)
    assert r.global_aij == pytest.approx(seed.global_weights(r.local_aij), abs=1e-15)
    assert r.global_aip == pytest.approx(seed.global_weights(r.local_aip), abs=1e-15)
    assert sum(r.global_aij[c] for c in seed.leaves()) == pytest.approx(1.0, abs=1e-13)
    # Hierarchy consensus as AHP-OS getGlbConsensus: S* of each node weighted by the
    # node's consolidated global weight (root = 1).
    node_w = [1.0 if p == "SQ" else r.global_aij[p] for p in r.groups]
    s = [g.consensus.s_star for g in r.groups.values()]
    assert r.s_star == pytest.approx(sum(a * b for a, b in zip(node_w, s)) / sum(node_w), abs=1e-14)


def test_analyze_input_errors(seed):
    judgments = random_panel(seed, 3)
    del judgments["D3"]
    with pytest.raises(ValueError, match=r"judgments lacks the groups \['D3'\]"):
        seed.analyze(judgments)
    judgments = random_panel(seed, 3)
    judgments["A1.1"] = judgments["D3"]
    with pytest.raises(ValueError, match=r"keys \['A1.1'\] that are not sibling groups"):
        seed.analyze(judgments)
    judgments = random_panel(seed, 3)
    judgments["SQ"] = judgments["A1"]
    with pytest.raises(ValueError, match=r"judgments\['SQ'\] must have shape \(k, 4, 4\)"):
        seed.analyze(judgments)


def test_analyze_single_expert_has_nan_consensus(seed):
    r = seed.analyze(random_panel(seed, 1))
    assert math.isnan(r.s_star)
    assert r.global_aij == pytest.approx(r.global_aip, abs=1e-15)


def test_analyze_names_the_group_with_bad_judgments(seed):
    judgments = random_panel(seed, 3)
    judgments["B2"][1, 0, 2] = np.nan
    with pytest.raises(ValueError, match=r"judgments\['B2'\]: stack\[1, 0, 2\] = np.float64\(nan\) is not finite"):
        seed.analyze(judgments)
    judgments = random_panel(seed, 3)
    with pytest.raises(ValueError, match=r"judgments\['SQ'\]: weights must be a 1-D sequence of 3"):
        seed.analyze(judgments, weights=[1, 2])


def test_analyze_with_an_only_child():
    h = ahp.Hierarchy.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "B1": "B", "B2": "B"})
    judgments = {"G": [ahp.from_upper([3], 2)] * 2, "B": [ahp.from_upper([1 / 2], 2), ahp.from_upper([2], 2)]}
    r = h.analyze(judgments)
    assert r.local_aij["A1"] == 1.0 and list(r.local_aij) == ["A", "B", "A1", "B1", "B2"]
    assert r.global_aij["A1"] == pytest.approx(0.75) and r.global_aij["B1"] == pytest.approx(0.125)
