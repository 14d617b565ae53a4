"""Indicator hierarchies: sibling groups to compare and local -> global weights."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np

from ._validation import as_float_array
from .aggregation import analyze_group
from .results import HierarchyResult

__all__ = ["Hierarchy", "SCHEMA"]

#: The JSON schema tag understood by :meth:`Hierarchy.from_dict`.
SCHEMA = "hierarchy/1"
_SUM_TOL = 1e-6


class Hierarchy:
    r"""A tree of indicator codes, e.g. goal -> first-level -> second-level indicators.

    Build it with :meth:`from_dict` (the nested ``hierarchy/1`` JSON) or
    :meth:`from_parents` (a flat ``{code: parent_code}`` table, as stored in a
    database).  Codes are unique strings; the tree is validated on
    construction (unique codes, one root, no cycles, every parent known).

    A *sibling group* is a node with two or more children: its children are
    compared pairwise.  A node with exactly one child asks no question; that
    child's local weight is 1.

    Global weights multiply local weights down the tree (hierarchical
    composition, Saaty 1980):

    .. math::

        g(\text{root}) = 1, \qquad g(c) = \ell(c)\, g(\operatorname{parent}(c)),

    so the global weights of the leaves (and of every level) sum to 1.

    Examples
    --------
    >>> from ahp import Hierarchy
    >>> h = Hierarchy.from_dict({"code": "G", "children": [
    ...     {"code": "A", "children": [{"code": "A1"}, {"code": "A2"}]},
    ...     {"code": "B", "children": [{"code": "B1"}]}]})
    >>> h.groups()
    [('G', ['A', 'B']), ('A', ['A1', 'A2'])]
    >>> h.global_weights({"A": 0.75, "B": 0.25, "A1": 0.5, "A2": 0.5})
    {'A': 0.75, 'B': 0.25, 'A1': 0.375, 'A2': 0.375, 'B1': 0.25}
    """

    __slots__ = ("_root", "_children", "_parent", "_order", "_names")

    def __init__(self, root: str, children: Mapping[str, list], names: Mapping | None = None):
        if not isinstance(root, str) or not root:
            raise ValueError(f"root must be a non-empty string code; got {root!r}")
        kids: dict[str, tuple[str, ...]] = {}
        parent: dict[str, str | None] = {root: None}
        order = [root]
        queue = deque([root])
        while queue:
            code = queue.popleft()
            own = list(children.get(code, ()) or ())
            for child in own:
                if not isinstance(child, str) or not child:
                    raise ValueError(f"children of {code!r} must be non-empty string codes; got {child!r}")
                if child in parent:
                    if child == code or self._is_ancestor(parent, child, code):
                        raise ValueError(f"the hierarchy has a cycle: {child!r} is its own ancestor")
                    raise ValueError(f"code {child!r} appears more than once; codes must be unique")
                parent[child] = code
                order.append(child)
                queue.append(child)
            kids[code] = tuple(own)
        unknown = [c for c in children if c not in parent]
        if unknown:
            raise ValueError(
                f"codes {unknown} have children but are not reachable from the root {root!r} "
                "(unknown parent or a cycle)"
            )
        self._root = root
        self._children = kids
        self._parent = parent
        self._order = tuple(order)
        self._names = dict(names or {})

    @staticmethod
    def _is_ancestor(parent: Mapping, code: str, of: str) -> bool:
        node = of
        while node is not None:
            if node == code:
                return True
            node = parent[node]
        return False

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_dict(cls, data: Mapping) -> "Hierarchy":
        """Build a hierarchy from parsed ``hierarchy/1`` JSON.

        Each node is a mapping with a ``"code"`` (unique non-empty string), an
        optional ``"children"`` list of nodes and any other keys (``"name"``
        is kept and available through :meth:`name`).  A top-level
        ``"schema"``, if present, must be ``"hierarchy/1"``.

        Raises
        ------
        ValueError
            For a wrong schema, a node without a code, a duplicate code, a
            ``children`` entry that is not a list of mappings, or a cycle
            (a node object nested inside itself).

        Examples
        --------
        >>> import json, pathlib, ahp
        >>> h = ahp.Hierarchy.from_dict({"schema": "hierarchy/1", "code": "G",
        ...                              "children": [{"code": "A"}, {"code": "B"}]})
        >>> h.leaves()
        ['A', 'B']
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"data must be a mapping (parsed hierarchy/1 JSON); got {type(data).__name__}")
        schema = data.get("schema", SCHEMA)
        if schema != SCHEMA:
            raise ValueError(f"data has schema {schema!r}; expected {SCHEMA!r}")
        children: dict[str, list[str]] = {}
        names: dict[str, object] = {}
        seen_objects: set[int] = set()
        root = cls._node_code(data, "data")
        stack = [(data, "data")]
        while stack:
            node, where = stack.pop()
            if id(node) in seen_objects:
                raise ValueError(f"{where} is nested inside itself: the hierarchy has a cycle")
            seen_objects.add(id(node))
            code = cls._node_code(node, where)
            if code in children:
                raise ValueError(f"code {code!r} appears more than once; codes must be unique")
            if "name" in node:
                names[code] = node["name"]
            sub = node.get("children") or []
            if not isinstance(sub, (list, tuple)):
                raise ValueError(f"{where}['children'] must be a list of nodes; got {type(sub).__name__}")
            codes = []
            for pos, child in enumerate(sub):
                child_where = f"{where}['children'][{pos}]"
                if not isinstance(child, Mapping):
                    raise ValueError(f"{child_where} must be a mapping with a 'code'; got {child!r}")
                codes.append(cls._node_code(child, child_where))
                stack.append((child, child_where))
            children[code] = codes
        return cls(root, children, names)

    @staticmethod
    def _node_code(node: Mapping, where: str) -> str:
        code = node.get("code")
        if not isinstance(code, str) or not code.strip():
            raise ValueError(f"{where} needs a non-empty string 'code'; got {code!r}")
        return code

    @classmethod
    def from_parents(cls, parents: Mapping[str, str | None]) -> "Hierarchy":
        """Build a hierarchy from ``{code: parent_code}``; the root's parent is ``None``.

        Children keep the order in which they appear in ``parents``.

        Raises
        ------
        ValueError
            For no root or several roots, an unknown parent, or a cycle.

        Examples
        --------
        >>> from ahp import Hierarchy
        >>> Hierarchy.from_parents({"G": None, "A": "G", "B": "G"}).groups()
        [('G', ['A', 'B'])]
        >>> Hierarchy.from_parents({"G": None, "A": "B", "B": "A"})
        Traceback (most recent call last):
        ...
        ValueError: codes ['B', 'A'] have children but are not reachable from the root 'G' (unknown parent or a cycle)
        """
        if not isinstance(parents, Mapping):
            raise ValueError(f"parents must be a mapping {{code: parent_code}}; got {type(parents).__name__}")
        roots = [c for c, p in parents.items() if p is None]
        if len(roots) != 1:
            raise ValueError(f"parents must have exactly one root (parent None); got {roots}")
        children: dict[str, list[str]] = {}
        for code, par in parents.items():
            if par is None:
                continue
            if par not in parents:
                raise ValueError(f"the parent {par!r} of {code!r} is not a code of the hierarchy")
            children.setdefault(par, []).append(code)
        return cls(roots[0], children)

    # ------------------------------------------------------------------ queries
    @property
    def root(self) -> str:
        """Code of the root (the goal)."""
        return self._root

    @property
    def codes(self) -> tuple[str, ...]:
        """All codes, level by level (root first), siblings in given order."""
        return self._order

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, code) -> bool:
        return code in self._parent

    def __repr__(self) -> str:
        return f"Hierarchy(root={self._root!r}, nodes={len(self)}, groups={len(self.groups())})"

    def _known(self, code: str) -> str:
        if code not in self._parent:
            raise ValueError(f"code {code!r} is not in the hierarchy")
        return code

    def children(self, code: str) -> list[str]:
        """Child codes of ``code`` in order (empty for a leaf)."""
        return list(self._children[self._known(code)])

    def parent(self, code: str) -> str | None:
        """Parent code of ``code`` (``None`` for the root)."""
        return self._parent[self._known(code)]

    def name(self, code: str):
        """The ``"name"`` given for ``code`` in the JSON, or ``None``."""
        return self._names.get(self._known(code))

    def leaves(self) -> list[str]:
        """Codes without children, in level order."""
        return [c for c in self._order if not self._children[c]]

    def groups(self) -> list[tuple[str, list[str]]]:
        """The sibling groups to compare, as ``(parent_code, [child codes])``.

        Top-down, level by level (the goal's group first, then each
        first-level indicator's group, ...), siblings in the given order;
        this is the order an AHP questionnaire asks the matrices in.  Nodes
        with a single child are left out: the only child gets local weight 1
        without a question.
        """
        return [(c, list(self._children[c])) for c in self._order if len(self._children[c]) >= 2]

    # ------------------------------------------------------------------ weights
    def global_weights(self, local: Mapping) -> dict:
        r"""Global weights from local weights, multiplying down the tree.

        Parameters
        ----------
        local : mapping of code -> float (or array)
            Local weight of each child of every sibling group; each group must
            be complete, non-negative and sum to 1 (within 1e-6).  An only
            child may be omitted (weight 1).  Values may be arrays of one
            common shape (e.g. one weight per expert), computed element-wise.

        Returns
        -------
        dict
            ``{code: global weight}`` for every node except the root, level
            by level.

        Raises
        ------
        ValueError
            For an unknown code, a missing sibling, a negative or non-finite
            weight, or a group whose weights do not sum to 1.
        """
        if not isinstance(local, Mapping):
            raise ValueError(f"local must be a mapping {{code: local weight}}; got {type(local).__name__}")
        for code in local:
            if code not in self._parent:
                raise ValueError(f"local has the code {code!r}, which is not in the hierarchy")
        values = {}
        for code, val in local.items():
            arr = np.asarray(val, dtype=float)
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"local[{code!r}] = {val!r}: weights must be finite and non-negative")
            values[code] = arr
        if self._root in values and not np.allclose(values[self._root], 1.0):
            raise ValueError(f"local[{self._root!r}] is the root; its weight can only be 1")
        result: dict = {}
        glob = {self._root: np.float64(1.0)}
        for code in self._order:
            kids = self._children[code]
            if not kids:
                continue
            if len(kids) == 1:
                only = kids[0]
                if only in values and not np.allclose(values[only], 1.0):
                    raise ValueError(f"local[{only!r}] must be 1: it is the only child of {code!r}")
                locs = [np.float64(1.0)]
            else:
                missing = [c for c in kids if c not in values]
                if missing:
                    raise ValueError(f"local lacks the weights of {missing} (children of {code!r})")
                locs = [values[c] for c in kids]
                total = sum(locs)
                if not np.all(np.abs(total - 1.0) <= _SUM_TOL):
                    raise ValueError(
                        f"the local weights of the children of {code!r} sum to {total!r}, not 1"
                    )
            for child, loc in zip(kids, locs):
                g = loc * glob[code]
                glob[child] = g
                result[child] = g.item() if np.ndim(g) == 0 else g
        return result

    # ------------------------------------------------------------------ panels
    def analyze(self, judgments: Mapping, weights=None, **options) -> HierarchyResult:
        """Run a panel over every sibling group and synthesise global weights.

        Parameters
        ----------
        judgments : mapping of parent code -> array_like, shape (k, n, n)
            For each group of :meth:`groups`, one complete matrix per expert,
            rows and columns in the order of the group's children.
        weights : array_like, shape (k,), optional
            Expert weights used for AIJ and AIP in every group (all groups
            must then have the same k).
        **options
            ``method``, ``ri``, ``threshold``, ``gci_threshold``,
            ``scale_max``, ``wording`` -- passed to :func:`ahp.analyze_group`.

        Returns
        -------
        HierarchyResult
            ``groups`` ({parent: GroupResult}), ``local_aij``, ``local_aip``,
            ``global_aij``, ``global_aip`` and the hierarchy consensus
            ``s_star`` (group S* weighted by the AIJ global weight of the
            group's parent, as AHP-OS ``getGlbConsensus``).

        Examples
        --------
        >>> import ahp
        >>> h = ahp.Hierarchy.from_dict({"code": "G", "children": [{"code": "A"}, {"code": "B"}]})
        >>> r = h.analyze({"G": [ahp.from_upper([3], 2), ahp.from_upper([1/3], 2)]})
        >>> r.global_aij, r.groups["G"].consensus.s_star < 1
        ({'A': 0.5, 'B': 0.5}, True)
        """
        if not isinstance(judgments, Mapping):
            raise ValueError("judgments must be a mapping {parent_code: stack of matrices}")
        groups = self.groups()
        wanted = [parent for parent, _ in groups]
        extra = [c for c in judgments if c not in wanted]
        if extra:
            raise ValueError(f"judgments has keys {extra} that are not sibling groups of the hierarchy")
        missing = [c for c in wanted if c not in judgments]
        if missing:
            raise ValueError(f"judgments lacks the groups {missing}")
        results = {}
        for parent, kids in groups:
            name = f"judgments[{parent!r}]"
            stack = as_float_array(judgments[parent], name)
            if stack.ndim != 3 or stack.shape[1:] != (len(kids), len(kids)):
                raise ValueError(
                    f"{name} must have shape (k, {len(kids)}, {len(kids)}) for the "
                    f"children {kids}; got shape {stack.shape}"
                )
            try:
                results[parent] = analyze_group(stack, weights, **options)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        local_aij: dict[str, float] = {}
        local_aip: dict[str, float] = {}
        for code in self._order:
            kids = self._children[code]
            if code in results:
                local_aij.update(zip(kids, results[code].aij.tolist()))
                local_aip.update(zip(kids, results[code].aip.tolist()))
            elif len(kids) == 1:
                local_aij[kids[0]] = local_aip[kids[0]] = 1.0
        global_aij = self.global_weights(local_aij)
        global_aip = self.global_weights(local_aip)
        node_weight = np.array([1.0 if p == self._root else global_aij[p] for p in results])
        s = np.array([r.consensus.s_star for r in results.values()])
        ok = np.isfinite(s)
        s_star = float((node_weight[ok] @ s[ok]) / node_weight[ok].sum()) if ok.any() else float("nan")
        return HierarchyResult(
            groups=results,
            local_aij=local_aij,
            local_aip=local_aip,
            global_aij=global_aij,
            global_aip=global_aip,
            s_star=s_star,
        )
