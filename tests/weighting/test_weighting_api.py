"""Public API names, docstring examples, to_dict(), argument errors."""

import doctest
import importlib
import json

import numpy as np
import pytest

import weighting as W

MODULES = ["weighting", "weighting.normalization", "weighting.objective", "weighting.spread",
           "weighting.subjective", "weighting.bwm", "weighting.combination"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_public_api_names_of_issue_13():
    required = {"g1", "ratio_scoring", "binomial", "least_squares", "bwm", "from_ratings", "normalize",
                "entropy", "coefficient_of_variation", "mean_square_deviation", "critic",
                "scatter_degree", "max_deviation", "pca", "aggregate", "combine"}
    assert required <= set(W.__all__)
    for name in W.__all__:
        assert hasattr(W, name), name


X = np.array([[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4], [275, 32, 8, 4], [225, 16, 16, 2]],
             dtype=float)


@pytest.mark.parametrize("result", [
    lambda: W.entropy(X), lambda: W.critic(X), lambda: W.pca(X), lambda: W.scatter_degree(X),
    lambda: W.bwm(1, 4, [2, 1, 4, 2, 8], [4, 8, 4, 4, 1]), lambda: W.g1([0, 1], [1.2]),
    lambda: W.combine([[0.5, 0.5], [0.2, 0.8], [0.6, 0.4]], "game_theory"),
    lambda: W.least_squares(np.ones((3, 3))), lambda: W.from_ratings([[1, 2]]),
    lambda: W.normalize(X),
])
def test_results_are_frozen_and_json_ready(result):
    r = result()
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    if hasattr(r, "weights"):
        assert abs(sum(d["weights"]) - 1) < 1e-12
        with pytest.raises(ValueError):
            r.weights[0] = 0.5  # read-only
        assert d["method"] and d["variant"]


@pytest.mark.parametrize("call,arg", [
    (lambda: W.entropy([1, 2, 3]), "x"),
    (lambda: W.entropy([[1, 2]]), "x"),
    (lambda: W.entropy([[1, np.nan], [2, 3]]), "x"),
    (lambda: W.entropy(X, [1, 0, 1, 1]), "directions"),
    (lambda: W.entropy(X, [1, 1]), "directions"),
    (lambda: W.entropy(X, normalization="log"), "normalization"),
    (lambda: W.entropy(X, zeros="drop"), "zeros"),
    (lambda: W.entropy(X, shift=-1), "shift"),
    (lambda: W.entropy(X, [-1, 1, 1, 1], normalization="none"), "directions"),
    (lambda: W.coefficient_of_variation(-X), "x"),
    (lambda: W.critic(X, correlation="kendall"), "correlation"),
    (lambda: W.normalize(-X, "sum"), "x"),
    (lambda: W.pca(X, retention=0), "retention"),
    (lambda: W.pca(X, retention=9), "retention"),
    (lambda: W.g1([0, 0, 1], [1.2, 1.2]), "order"),
    (lambda: W.g1([0, 1, 2], [1.2]), "ratios"),
    (lambda: W.ratio_scoring([0, 1], [0]), "ratios"),
    (lambda: W.binomial([1, 2]), "order"),
    (lambda: W.least_squares([[1, 2], [2, 1]]), "a"),
    (lambda: W.least_squares([[1, -2], [-0.5, 1]]), "a"),
    (lambda: W.from_ratings([[1, np.nan], [2, np.nan]]), "scores"),
    (lambda: W.from_ratings([[-1, 2]]), "scores"),
])
def test_errors_name_the_argument(call, arg):
    with pytest.raises(ValueError, match=rf"^{arg}\b|\b{arg}\b"):
        call()


def test_every_result_method_is_in_the_catalogue():
    x = X
    results = [W.entropy(x), W.coefficient_of_variation(x), W.mean_square_deviation(x), W.critic(x),
               W.scatter_degree(x[:, :2]), W.max_deviation(x), W.pca(x), W.g1([0, 1], [1.2]),
               W.ratio_scoring([0, 1], [2]), W.binomial([0, 1]), W.least_squares(np.ones((2, 2))),
               W.bwm(0, 1, [1, 2], [2, 1]), W.from_ratings([[1, 2]]), W.aggregate([[0.5, 0.5]]),
               W.combine([[0.5, 0.5]], "multiplicative")]
    for r in results:
        entry = W.METHODS[r.method]
        assert entry["zh"] and entry["en"] and entry["source"]
        assert entry["kind"] in {"subjective", "objective", "group", "combination"}
