"""Fixtures of the security suite: the two-coordinator world (see world.py)."""
import pytest

from tests.security.world import build_world


@pytest.fixture
def world(app, make_coordinator, make_study, make_expert):
    return build_world(app, make_coordinator, make_study, make_expert)
