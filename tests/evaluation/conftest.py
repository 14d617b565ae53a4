"""Fixtures for the evaluation tests: the seed hierarchy and a weight-set/1 built from it.

The weight set is built here by plain recursion over the hierarchy/1 JSON, independently of
``evaluation.WeightTree``: in every sibling group of k children the i-th child (0-based) gets the
local weight (k - i) / (k (k + 1) / 2) — so the four elements get 0.4, 0.3, 0.2, 0.1 — and the
global weight is the parent's global weight times the local weight (the contract in
/work/briefs/contracts.md).  ``data/seed-weight-set.json`` is this function's output, written once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
SEED = ROOT / "webapp" / "data" / "seed-indicators.json"


def load_seed() -> dict:
    return json.loads(SEED.read_text(encoding="utf-8"))


def build_weight_set(hierarchy: dict) -> dict:
    nodes = []

    def walk(node, parent, level, local, glob):
        nodes.append({"code": node["code"], "parent": parent, "name": node.get("name"), "level": level,
                      "local_weight": local, "global_weight": glob, "cr": None, "s_star": None,
                      "interval": None})
        kids = node.get("children") or []
        total = len(kids) * (len(kids) + 1) / 2
        for i, child in enumerate(kids):
            w = (len(kids) - i) / total
            walk(child, node["code"], level + 1, w, glob * w)

    walk(hierarchy, None, 0, 1.0, 1.0)
    return {"schema": "weight-set/1", "study": {"id": 1, "title": "Seed demo"}, "version": 1,
            "published_at": "2026-12-01T07:00:00Z", "method": {"kind": "test"}, "panel": {},
            "checksum": None, "nodes": nodes}


def leaf_globals(hierarchy: dict) -> dict:
    """{leaf: global weight} by plain recursion (the same rule as build_weight_set)."""
    out = {}

    def walk(node, glob):
        kids = node.get("children") or []
        if not kids:
            out[node["code"]] = glob
        total = len(kids) * (len(kids) + 1) / 2
        for i, child in enumerate(kids):
            walk(child, glob * (len(kids) - i) / total)

    walk(hierarchy, 1.0)
    return out


@pytest.fixture(scope="session")
def seed():
    return load_seed()


@pytest.fixture(scope="session")
def seed_weight_set(seed):
    return build_weight_set(seed)
