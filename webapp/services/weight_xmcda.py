"""A published weight set as XMCDA 4.0 (Decision Deck), valid against XMCDA-4.0.0.xsd.

- ``criteria``: every node (the goal too), ``id`` = code, ``name`` = Chinese name,
  the English name in ``description/comment``;
- ``criteriaHierarchy``: the indicator tree from the goal;
- ``criteriaValues mcdaConcept="weights"``: global weights (goal = 1);
  ``mcdaConcept="localWeights"``: local weights; ``mcdaConcept="consistencyRatio"``
  and ``"consensusSStar"`` for the blocks that have them; ``"weightIntervals"``
  for bootstrap intervals of the global weights;
- ``criteriaMatrix mcdaConcept="pairwiseComparisons"``: the group's pairwise
  matrix of a block (``name`` = the block's parent code), when the source had them.
Numbers are written with Python's shortest round-trip repr (full precision).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

NAMESPACE = "http://www.decision-deck.org/2021/XMCDA-4.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NAMESPACE} https://www.decision-deck.org/xmcda/_downloads/XMCDA-4.0.0.xsd"


def _el(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _real(parent, value: float) -> None:
    values = _el(parent, "values")
    _el(_el(values, "value"), "real", repr(float(value)))


def _values(root, concept: str, name: str, pairs) -> None:
    pairs = list(pairs)
    if not pairs:
        return
    block = _el(root, "criteriaValues", mcdaConcept=concept, name=name)
    for code, value in pairs:
        entry = _el(block, "criterionValues")
        _el(entry, "criterionID", code)
        if isinstance(value, list):
            interval = _el(_el(_el(entry, "values"), "value"), "interval")
            _el(_el(interval, "lowerBound"), "real", repr(float(value[0])))
            _el(_el(interval, "upperBound"), "real", repr(float(value[1])))
        else:
            _real(entry, value)


def to_xmcda(document: dict) -> bytes:
    # XMCDA 4 in the default namespace, as the Decision Deck tools write it (and read it back);
    # ElementTree writes unqualified names, so the declarations are plain attributes of the root.
    root = ET.Element("xmcda", {"xmlns": NAMESPACE, "xmlns:xsi": XSI, "xsi:schemaLocation": SCHEMA_LOCATION})
    nodes = document["nodes"]
    criteria = _el(root, "criteria", name=f"{document['study']['title']} v{document['version']}")
    for node in nodes:
        criterion = _el(criteria, "criterion", id=node["code"], name=node["name"]["zh"])
        _el(_el(criterion, "description"), "comment", node["name"]["en"])

    children: dict = {}
    for node in nodes:
        children.setdefault(node["parent"], []).append(node["code"])
    hierarchy = _el(root, "criteriaHierarchy", mcdaConcept="indicatorSystem")

    def attach(parent_element, codes):
        group = _el(parent_element, "nodes")
        for code in codes:
            node = _el(group, "node")
            _el(node, "criterionID", code)
            if children.get(code):
                attach(node, children[code])

    attach(hierarchy, children[None])

    for parent, block in sorted((document.get("block_matrices") or {}).items()):
        codes, matrix = block["codes"], block["matrix"]
        element = _el(root, "criteriaMatrix", mcdaConcept="pairwiseComparisons", name=parent,
                      id=f"pairwise-{parent}")
        for i, row_code in enumerate(codes):
            row = _el(element, "row")
            _el(row, "criterionID", row_code)
            for j, col_code in enumerate(codes):
                column = _el(row, "column")
                _el(column, "criterionID", col_code)
                _real(column, matrix[i][j])

    _values(root, "weights", "global weights", ((n["code"], n["global_weight"]) for n in nodes))
    _values(root, "localWeights", "local weights", ((n["code"], n["local_weight"]) for n in nodes))
    _values(root, "consistencyRatio", "group CR of the block each node heads",
            ((n["code"], n["cr"]) for n in nodes if n.get("cr") is not None))
    _values(root, "consensusSStar", "group consensus S* of the block each node heads",
            ((n["code"], n["s_star"]) for n in nodes if n.get("s_star") is not None))
    _values(root, "weightIntervals", "bootstrap intervals of the global weights",
            ((n["code"], n["interval"]) for n in nodes if n.get("interval")))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
