"""Fixtures of the web tests beyond those of ``tests/conftest.py``."""
from __future__ import annotations

import pytest
from tests.helpers.panels import make_panel


@pytest.fixture
def panel(app, make_study, make_expert):
    return make_panel(app, make_study, make_expert)


@pytest.fixture
def expert_client(client, panel):
    client.get(f"/i/{panel.experts[0][1]}")
    return client
