"""The docstring examples run (numpydoc habit: every public function has a runnable example)."""

import doctest
import importlib
import inspect

import pytest

import ahp

MODULES = ["ahp", "ahp.pairwise", "ahp.priorities", "ahp.consistency", "ahp.aggregation", "ahp.group_consensus",
           "ahp.hierarchy"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_api():
    expected = {
        "SAATY_VALUES", "validate_matrix", "from_upper", "priorities", "consistency",
        "revision_hints", "complete", "aggregate_judgments", "aggregate_priorities",
        "consensus", "Hierarchy",
    }
    assert expected <= set(ahp.__all__)
    for name in ahp.__all__:
        assert hasattr(ahp, name), name


@pytest.mark.parametrize("name", [n for n in ahp.__all__ if callable(getattr(ahp, n))])
def test_public_callables_document_formula_source_or_example(name):
    doc = inspect.getdoc(getattr(ahp, name)) or ""
    assert doc, name
    if inspect.isfunction(getattr(ahp, name)):
        assert "Examples" in doc or ">>>" in doc, name


@pytest.mark.parametrize(
    "name",
    ["priorities", "consistency", "revision_hints", "complete", "aggregate_judgments",
     "aggregate_priorities", "consensus"],
)
def test_core_functions_give_formula_and_reference(name):
    doc = inspect.getdoc(getattr(ahp, name))
    assert ".. math::" in doc and "References" in doc and "doi.org" in doc
