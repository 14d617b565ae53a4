"""Reading a published ``weight-set/1`` document into arrays.

A weight set (contract in ``docs/evaluation.md``) lists every node of an
indicator hierarchy with its parent, its local weight (siblings sum to 1) and
its global weight (parent's global times local).  :class:`WeightTree` checks
those rules and keeps the tree as index arrays so that scoring and fuzzy
evaluation are vectorised over objects.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["WeightTree", "SCHEMA"]

#: The JSON schema tag of a published weight set.
SCHEMA = "weight-set/1"
#: Tolerance for sibling local weights and leaf global weights summing to 1.
SUM_TOL = 1e-6
#: Tolerance for ``global = parent global * local`` (the contract's 1e-9).
GLOBAL_TOL = 1e-9


class WeightTree:
    r"""An indicator hierarchy with local and global weights, as arrays.

    Build it with :meth:`from_dict` (a parsed ``weight-set/1`` document),
    :meth:`from_parents` (``{code: parent}`` and ``{code: local weight}``) or
    :meth:`flat` (one level of weights).  Nodes are kept in depth-first
    (document) order, root first.  Global weights are recomputed from the local ones:

    .. math::

        g(\text{root}) = 1, \qquad g(c) = \ell(c)\, g(\operatorname{parent}(c)).

    Examples
    --------
    >>> from evaluation import WeightTree
    >>> t = WeightTree.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "A2": "A"},
    ...                             {"A": 0.6, "B": 0.4, "A1": 0.5, "A2": 0.5})
    >>> t.leaves, t.elements
    (('A1', 'A2', 'B'), ('A', 'B'))
    >>> t.global_weights()["A1"]
    0.3
    """

    __slots__ = ("codes", "parent", "local", "glob", "depth", "names", "leaves",
                 "leaf_index", "elements", "element_index", "_index", "_children")

    def __init__(self, parents: Mapping, local: Mapping, names: Mapping | None = None,
                 *, name: str = "weight_set"):
        roots = [c for c, p in parents.items() if p is None]
        if len(roots) != 1:
            raise ValueError(f"{name} must have exactly one root (a node whose parent is null); found {roots}")
        for code, p in parents.items():
            if not isinstance(code, str) or not code:
                raise ValueError(f"{name}: every node needs a non-empty string code; got {code!r}")
            if p is not None and p not in parents:
                raise ValueError(f"{name}: node {code!r} has an unknown parent {p!r}")
        kids: dict[str, list[str]] = {c: [] for c in parents}
        for code, p in parents.items():
            if p is not None:
                kids[p].append(code)
        order, depth = [], {roots[0]: 0}
        stack = [roots[0]]                      # depth-first, document order: A1.1, A1.2, …, B1.1, …
        seen = set()
        while stack:
            code = stack.pop()
            if code in seen:
                continue
            seen.add(code)
            order.append(code)
            for child in reversed(kids[code]):
                depth[child] = depth[code] + 1
                stack.append(child)
        if len(order) != len(parents):
            stray = sorted(set(parents) - set(order))
            raise ValueError(f"{name}: nodes {stray} are not reachable from the root {roots[0]!r} (a cycle)")
        index = {c: k for k, c in enumerate(order)}
        self.codes = tuple(order)
        self._index = index
        self._children = {c: tuple(kids[c]) for c in order}
        self.parent = np.array([-1 if parents[c] is None else index[parents[c]] for c in order])
        self.depth = np.array([depth[c] for c in order])
        lw = np.ones(len(order))
        for code in order[1:]:
            if code not in local:
                raise ValueError(f"{name}: node {code!r} has no local weight")
            try:
                w = float(local[code])
            except (TypeError, ValueError):
                raise ValueError(f"{name}: local weight of {code!r} must be a number; got {local[code]!r}") from None
            if not np.isfinite(w) or w < 0 or w > 1 + SUM_TOL:
                raise ValueError(f"{name}: local weight of {code!r} must lie in [0, 1]; got {w}")
            lw[index[code]] = w
        for code in order:
            ch = kids[code]
            if ch:
                s = lw[[index[c] for c in ch]].sum()
                if abs(s - 1.0) > SUM_TOL:
                    raise ValueError(
                        f"{name}: the local weights of the children of {code!r} sum to {s:.9g}, not 1 "
                        f"(children {ch})")
        self.local = lw
        self.glob = self._globals(lw[None, :])[0]
        self.names = dict(names or {})
        self.leaves = tuple(c for c in order if not kids[c])
        self.leaf_index = np.array([index[c] for c in self.leaves])
        self.elements = self._children[order[0]]
        self.element_index = np.array([index[c] for c in self.elements], dtype=int)
        for arr in (self.parent, self.depth, self.local, self.glob, self.leaf_index, self.element_index):
            arr.flags.writeable = False

    # ----------------------------------------------------------------- builders
    @classmethod
    def from_dict(cls, weight_set: Mapping, *, hierarchy=None, partial: bool = False) -> "WeightTree":
        """Validate a parsed ``weight-set/1`` document and build the tree.

        Parameters
        ----------
        weight_set : mapping
            The document: ``schema`` ``"weight-set/1"`` and ``nodes``, a list of
            ``{code, parent, local_weight, global_weight?, level?, name?}``.
        hierarchy : mapping, optional
            A ``hierarchy/1`` document or a ``{code: parent}`` mapping the weight
            set must match exactly (same codes, same parents).
        partial : bool
            Accept a weight set covering only the upper levels of ``hierarchy``
            (see :meth:`check_matches`).

        Raises
        ------
        ValueError
            Naming ``weight_set`` (wrong schema, duplicate or unknown codes, more
            than one root, siblings not summing to 1, a global weight that is not
            parent global × local, levels that do not follow the tree) or
            ``hierarchy`` (codes or parents that differ).

        Examples
        --------
        >>> doc = {"schema": "weight-set/1", "nodes": [
        ...     {"code": "G", "parent": None, "level": 0, "local_weight": 1, "global_weight": 1},
        ...     {"code": "A", "parent": "G", "level": 1, "local_weight": 0.7, "global_weight": 0.7},
        ...     {"code": "B", "parent": "G", "level": 1, "local_weight": 0.3, "global_weight": 0.3}]}
        >>> WeightTree.from_dict(doc).leaves
        ('A', 'B')
        """
        if isinstance(weight_set, WeightTree):
            tree = weight_set
        else:
            if not isinstance(weight_set, Mapping):
                raise ValueError("weight_set must be a parsed weight-set/1 document (a mapping)")
            if weight_set.get("schema") != SCHEMA:
                raise ValueError(f"weight_set must have schema {SCHEMA!r}; got {weight_set.get('schema')!r}")
            nodes = weight_set.get("nodes")
            if not isinstance(nodes, list) or not nodes:
                raise ValueError("weight_set['nodes'] must be a non-empty list of nodes")
            parents, local, names, given_global, levels = {}, {}, {}, {}, {}
            for node in nodes:
                if not isinstance(node, Mapping) or not isinstance(node.get("code"), str) or not node["code"]:
                    raise ValueError(f"weight_set: every node needs a non-empty string 'code'; got {node!r}")
                code = node["code"]
                if code in parents:
                    raise ValueError(f"weight_set: code {code!r} appears more than once")
                parents[code] = node.get("parent")
                if node.get("parent") is not None:
                    local[code] = node.get("local_weight")
                if node.get("name") is not None:
                    names[code] = node["name"]
                if node.get("global_weight") is not None:
                    given_global[code] = node["global_weight"]
                if node.get("level") is not None:
                    levels[code] = node["level"]
            tree = cls(parents, local, names)
            for code, g in given_global.items():
                want = tree.glob[tree.index(code)]
                try:
                    ok = abs(float(g) - want) <= GLOBAL_TOL
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    raise ValueError(
                        f"weight_set: global weight of {code!r} is {g!r} but parent global × local is {want:.12g}")
            for code, lev in levels.items():
                if lev != tree.depth[tree.index(code)]:
                    raise ValueError(
                        f"weight_set: level of {code!r} is {lev!r} but it is {tree.depth[tree.index(code)]} "
                        "steps below the root")
        if hierarchy is not None:
            tree.check_matches(hierarchy, partial=partial)
        return tree

    @classmethod
    def from_parents(cls, parents: Mapping, local: Mapping, names: Mapping | None = None) -> "WeightTree":
        """Build from ``{code: parent or None}`` and ``{code: local weight}`` (the root needs none)."""
        return cls(parents, local, names, name="parents")

    @classmethod
    def flat(cls, codes, weights, *, root: str = "T") -> "WeightTree":
        """One level: a root and ``codes`` as its children with ``weights`` (summing to 1).

        Examples
        --------
        >>> WeightTree.flat(["x", "y"], [0.25, 0.75]).global_weights()
        {'T': 1.0, 'x': 0.25, 'y': 0.75}
        """
        codes = [str(c) for c in codes]
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(codes),):
            raise ValueError(f"weights must have one value per code ({len(codes)}); got shape {w.shape}")
        parents = {root: None, **{c: root for c in codes}}
        if len(parents) != len(codes) + 1:
            raise ValueError(f"codes must be unique and differ from the root {root!r}")
        return cls(parents, dict(zip(codes, w)), name="weights")

    # ------------------------------------------------------------------ queries
    def index(self, code: str) -> int:
        """Position of ``code`` in :attr:`codes`."""
        try:
            return self._index[code]
        except KeyError:
            raise ValueError(f"unknown code {code!r}") from None

    def children(self, code: str) -> tuple:
        """Children of ``code`` in order."""
        return self._children[code]

    def global_weights(self) -> dict:
        """``{code: global weight}`` for every node."""
        return {c: float(g) for c, g in zip(self.codes, self.glob)}

    def local_weights(self) -> dict:
        """``{code: local weight}`` for every node (root: 1)."""
        return {c: float(w) for c, w in zip(self.codes, self.local)}

    def name(self, code: str, locale: str = "en") -> str:
        """Display name of ``code`` in ``locale`` (falls back to the other language, then the code)."""
        n = self.names.get(code)
        if isinstance(n, Mapping):
            return n.get(locale) or n.get("en") or n.get("zh") or code
        return n or code

    def child_matrix(self) -> np.ndarray:
        """``C[p, c] = local weight of c`` if ``p`` is the parent of ``c``, else 0; shape (n, n)."""
        n = len(self.codes)
        c = np.zeros((n, n))
        kids = np.arange(1, n)
        c[self.parent[kids], kids] = self.local[kids]
        return c

    def subtree_matrix(self) -> np.ndarray:
        """``L[k, j]``: weight of leaf ``j`` within the subtree of node ``k`` (rows sum to 1); shape (n, leaves)."""
        n = len(self.codes)
        sub = np.zeros((n, len(self.leaves)))
        sub[self.leaf_index, np.arange(len(self.leaves))] = 1.0
        for d in range(int(self.depth.max()), 0, -1):
            for k in np.flatnonzero(self.depth == d):
                sub[self.parent[k]] += self.local[k] * sub[k]
        return sub

    def _globals(self, local: np.ndarray) -> np.ndarray:
        g = np.array(local, dtype=float, copy=True)
        g[:, 0] = 1.0
        for d in range(1, int(self.depth.max()) + 1):
            k = np.flatnonzero(self.depth == d)
            g[:, k] = local[:, k] * g[:, self.parent[k]]
        return g

    def leaf_weights(self, local_samples) -> np.ndarray:
        """Global leaf weights from samples of local weights.

        Parameters
        ----------
        local_samples : array_like, shape (k, len(codes))
            Local weights of every node per sample (the root column is ignored).

        Returns
        -------
        ndarray, shape (k, len(leaves))
            :math:`g = \\prod` of local weights from the root to each leaf.
        """
        arr = np.asarray(local_samples, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != len(self.codes):
            raise ValueError(
                f"local_samples must have shape (k, {len(self.codes)}) (one column per node); got {arr.shape}")
        return self._globals(arr)[:, self.leaf_index]

    def check_matches(self, hierarchy, *, partial: bool = False) -> None:
        """Raise ``ValueError`` naming ``hierarchy`` unless it has the same codes and parents.

        With ``partial=True`` the weight set may weight only the upper part of the
        hierarchy (a publisher leaves unweighted levels out): every code of the weight
        set must be in the hierarchy under the same parent, and every weighted sibling
        group must be complete (all the hierarchy's children of a weighted parent).
        """
        if isinstance(hierarchy, Mapping) and "code" in hierarchy and isinstance(hierarchy.get("code"), str):
            parents: dict = {}
            stack = [(hierarchy, None)]
            while stack:
                node, p = stack.pop()
                parents[node["code"]] = p
                stack.extend((ch, node["code"]) for ch in node.get("children") or ())
        elif isinstance(hierarchy, Mapping):
            parents = dict(hierarchy)
        else:
            raise ValueError("hierarchy must be a hierarchy/1 document or a {code: parent} mapping")
        mine = {c: (None if p < 0 else self.codes[p]) for c, p in zip(self.codes, self.parent)}
        extra, lacking = sorted(set(mine) - set(parents)), sorted(set(parents) - set(mine))
        moved = sorted(c for c in set(mine) & set(parents) if mine[c] != parents[c])
        if partial:
            weighted = {p for c, p in mine.items() if p is not None}
            lacking = sorted(c for c in lacking if parents[c] in weighted)
        if extra or lacking or moved:
            raise ValueError(
                "hierarchy does not match the weight set: "
                f"codes only in the weight set {extra}, codes only in the hierarchy {lacking}, "
                f"codes with another parent {moved}")
