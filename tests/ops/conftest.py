"""Fixtures for operations tests: a second, empty database of the same kind."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import PG_ADMIN


@pytest.fixture
def other_db_url(db_url, tmp_path):
    """An empty database on the same backend as ``db_url`` (dropped afterwards)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/other.sqlite3"
        return
    import psycopg

    name = "concordia_o_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
