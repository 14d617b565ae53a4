"""``loads_json`` skips cleaning and the depth walk for a body with nothing to clean
(issue 16: an autosave's body, 25 -> 11 us). The shortcut must give exactly what the
full reader gives, and refuse what it refuses, on bodies built to sit on its edges."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.services.inputs import JsonInputError, _check_and_clean, _constant, _float, _pairs, loads_json


def _full(raw: str, max_depth: int):
    """The reader without the shortcut: every string cleaned, the depth walked."""
    return _check_and_clean(json.loads(raw, parse_constant=_constant, parse_float=_float, object_pairs_hook=_pairs),
                            max_depth)


@pytest.mark.parametrize("raw, max_depth", [
    ('{"answers": [{"node_id": 5, "value": 3, "no_opinion": false}]}', 4),
    ('{"answers": [{"node_id": 5, "comment": "del \x7f and next line \x85 kept out"}]}', 4),
    ('{"answers": [{"node_id": 5, "comment": "[[[{{{ brackets in text"}]}', 4),
    ('{"answers": [{"node_id": 5, "comment": "escaped \\u0000 nul and \\ud800 surrogate"}]}', 4),
    ('{"answers": [{"node_id": 5, "comment": "中文 \\n line"}]}', 4),
    ('{"k\x9f": 1}', 4),
    ('[[[[1]]]]', 4),
])
def test_the_shortcut_gives_what_the_full_reader_gives(app, raw, max_depth):
    with app.test_request_context("/"):
        assert loads_json(raw.encode(), max_depth=max_depth) == _full(raw, max_depth)


@pytest.mark.parametrize("raw", ['[[[[[1]]]]]', '{"a": NaN}', '{"a": 1e400}', '{"a": Infinity}', '{"a": '])
def test_the_shortcut_refuses_what_the_full_reader_refuses(app, raw):
    with app.test_request_context("/"):
        with pytest.raises(JsonInputError):
            loads_json(raw.encode(), max_depth=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8),
       st.booleans())
def test_any_json_reads_the_same_with_or_without_the_shortcut(app, value, ascii_only):
    """(The app fixture only gives the refusals their translated message.)"""
    raw = json.dumps(value, ensure_ascii=ascii_only)
    with app.test_request_context("/"):
        try:
            expected = _full(raw, 4)
        except JsonInputError:
            expected = JsonInputError
        try:
            got = loads_json(raw.encode(), max_depth=4)
        except JsonInputError:
            got = JsonInputError
    assert got == expected
