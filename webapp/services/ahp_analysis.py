"""Numbers of an AHP round from its judgments: pure functions over arrays.

No database here: the round service loads signed judgments into arrays
(experts x pairs per block, NaN = not answered) and calls
:func:`analyze_round`; the dashboard, exports and published weights read the
result. Every figure comes from ``ahp/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import ahp
from webapp.services import ahp_settings


@dataclass(frozen=True)
class Block:
    """One pairwise block: the parent's code, its children in order, the panel's signed judgments."""

    parent: str
    children: tuple
    values: np.ndarray  # (K, n(n-1)/2), upper triangle in row order; +k row k x, -k column k x; NaN missing


@dataclass
class BlockResult:
    parent: str
    children: tuple
    answered: np.ndarray      # (K,) the expert gave a usable block (complete, or connected if allowed)
    completed: np.ndarray     # (K,) the block was completed by Harker's method
    matrices: np.ndarray      # (K, n, n) filled matrices (all ones where not answered)
    individual: np.ndarray    # (K, n) priorities, NaN where not answered
    cr: np.ndarray            # (K,) NaN where not answered
    gci: np.ndarray
    consistent: np.ndarray    # (K,) passes the round's rule (False where not answered)
    included: np.ndarray      # (K,) in the group result
    weights: np.ndarray       # (K,) normalised expert weights used for this block (0 = left out)
    rule: tuple               # ("CR" | "GCI", limit)
    values: np.ndarray | None = None  # (K, m) the signed judgments typed (NaN = not given)
    aij: np.ndarray | None = None
    aip: np.ndarray | None = None
    aij_cr: float | None = None
    aij_gci: float | None = None
    s_star: float | None = None
    wording: str | None = None
    geo_sd: np.ndarray | None = None

    @property
    def has_group(self) -> bool:
        return self.aij is not None

    @property
    def differ(self) -> bool:
        """AIJ and AIP differ visibly (shown side by side)."""
        return self.has_group and bool(np.max(np.abs(self.aij - self.aip)) >= 5e-4)


@dataclass
class RoundAnalysis:
    pseudonyms: list
    blocks: dict                              # parent -> BlockResult, in block order
    aggregation: str
    local: dict = field(default_factory=dict)       # chosen aggregation, code -> weight
    local_aij: dict = field(default_factory=dict)
    local_aip: dict = field(default_factory=dict)
    global_aij: dict = field(default_factory=dict)  # {} when a block has no group result
    global_aip: dict = field(default_factory=dict)
    global_weights: dict = field(default_factory=dict)
    s_star: float | None = None
    bootstrap: ahp.BootstrapResult | None = None
    hierarchy: ahp.Hierarchy | None = None


def pair_index(n: int) -> list[tuple[int, int]]:
    """Upper-triangle pairs (i, j), i < j, in row order: the order of ``Block.values``."""
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def matrices(values: np.ndarray, n: int) -> np.ndarray:
    """Signed judgments (K, m) -> reciprocal matrices (K, n, n), NaN where missing."""
    values = np.asarray(values, dtype=float)
    k = values.shape[0]
    iu, ju = np.triu_indices(n, 1)
    ratio = np.where(values > 0, values, -1.0 / values)
    a = np.ones((k, n, n))
    a[:, iu, ju] = ratio
    a[:, ju, iu] = 1.0 / ratio
    return a


def connected(mats: np.ndarray) -> np.ndarray:
    """(K,) whether each matrix's comparison graph (known cells) is connected."""
    n = mats.shape[-1]
    reach = (~np.isnan(mats)).astype(float)
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))))):
        reach = ((reach @ reach) > 0).astype(float)
    return (reach > 0).all(axis=(-2, -1))


def _fill(mats: np.ndarray, allow_incomplete: bool):
    n = mats.shape[-1]
    missing = np.isnan(mats).any(axis=(-2, -1))
    partial = missing & ((~np.isnan(mats)).sum(axis=(-2, -1)) > n)  # some judgment given
    answered = ~missing
    completed = np.zeros_like(answered)
    filled = np.where(np.isnan(mats), 1.0, mats)
    if allow_incomplete:
        ok = partial & connected(mats)
        if ok.any():
            _, done = ahp.complete(mats[ok])
            filled[ok] = done
            answered = answered | ok
            completed = ok
    filled[~answered] = 1.0  # equal judgments: a placeholder with weight 0
    return filled, answered, completed


def analyze_block(block: Block, weights: np.ndarray, settings: dict) -> BlockResult:
    """Individual priorities and consistency, and the group result of one block.

    One ``ahp.analyze_group`` call over the experts who answered (weight 0 for those left
    out), so every expert's CR/GCI and the group weights come from the same pass; S* and
    the geometric SD are of the experts in the group result.
    """
    n = len(block.children)
    k = block.values.shape[0]
    filled, answered, completed = _fill(matrices(block.values, n), settings["allow_incomplete"])
    method = settings["priority_method"]
    res = BlockResult(parent=block.parent, children=tuple(block.children), answered=answered,
                      completed=completed, matrices=filled, individual=np.full((k, n), np.nan),
                      cr=np.full(k, np.nan), gci=np.full(k, np.nan), consistent=np.zeros(k, bool),
                      included=np.zeros(k, bool), weights=np.zeros(k), rule=ahp_settings.rule_for(settings, n),
                      values=np.asarray(block.values, dtype=float))
    if not answered.any():
        return res
    cons = ahp.consistency(filled[answered])
    res.cr[answered], res.gci[answered] = cons.cr, cons.gci
    res.consistent[answered] = ahp_settings.consistent(settings, n, np.asarray(cons.cr), np.asarray(cons.gci))
    include = res.consistent if settings["censor_cr"] else answered
    w = np.where(include, np.asarray(weights, dtype=float), 0.0)
    res.included = w > 0
    if method == "eigen":
        res.individual[answered] = cons.priorities
    else:
        res.individual[answered] = ahp.priorities(filled[answered], method=method)
    if not res.included.any():
        return res
    res.weights = w / w.sum()
    use = res.included
    aij_matrix = ahp.aggregate_judgments(filled[use], res.weights[use])
    aij_cons = ahp.consistency(aij_matrix)
    res.aij = np.asarray(aij_cons.priorities if method == "eigen" else ahp.priorities(aij_matrix, method=method))
    res.aip = ahp.aggregate_priorities(res.individual[use], res.weights[use])
    res.aij_cr, res.aij_gci = float(aij_cons.cr), float(aij_cons.gci)
    cons_group = ahp.consensus(res.individual[use])
    s = cons_group.s_star
    res.s_star = None if not np.isfinite(s) else float(s)
    res.wording = cons_group.wording
    res.geo_sd = np.asarray(cons_group.dispersion) if use.sum() > 1 else None
    return res


def weighted_part(parents: dict, block_parents: list) -> ahp.Hierarchy:
    """The part of the tree whose weights the blocks determine: from the root down through
    asked blocks and only children."""
    children: dict = {}
    for code, parent in parents.items():
        children.setdefault(parent, []).append(code)
    root = children[None][0]
    keep = {root: None}
    stack = [root]
    asked = set(block_parents)
    while stack:
        code = stack.pop()
        kids = children.get(code, [])
        if len(kids) == 1 or code in asked:
            for kid in kids:
                keep[kid] = code
                stack.append(kid)
    return ahp.Hierarchy.from_parents(keep)


def analyze_round(blocks: list[Block], parents: dict, pseudonyms: list, weights, settings: dict,
                  *, bootstrap: bool = True) -> RoundAnalysis:
    """Everything a dashboard shows: per block, then local/global weights and the bootstrap.

    ``parents``: {code: parent code} of the active tree, children in order; ``weights``: (K,)
    expert weights (any positive scale).
    """
    weights = np.asarray(weights, dtype=float)
    out = RoundAnalysis(pseudonyms=list(pseudonyms), blocks={}, aggregation=settings["aggregation"])
    for block in blocks:
        out.blocks[block.parent] = analyze_block(block, weights, settings)
    for r in out.blocks.values():
        if r.has_group:
            out.local_aij.update(zip(r.children, r.aij.tolist()))
            out.local_aip.update(zip(r.children, r.aip.tolist()))
    out.local = out.local_aij if out.aggregation == "aij" else out.local_aip
    if not blocks or not all(r.has_group for r in out.blocks.values()):
        return out
    tree = weighted_part(parents, [b.parent for b in blocks])
    if {p for p, _ in tree.groups()} != set(out.blocks):
        return out  # a block lies outside the weighted part (its parent is not reached)
    out.hierarchy = tree
    out.global_aij = tree.global_weights(out.local_aij)
    out.global_aip = tree.global_weights(out.local_aip)
    out.global_weights = out.global_aij if out.aggregation == "aij" else out.global_aip
    node_w = np.array([1.0 if p == tree.root else out.global_aij[p] for p in out.blocks])
    s = np.array([np.nan if r.s_star is None else r.s_star for r in out.blocks.values()])
    good = np.isfinite(s)
    out.s_star = float(node_w[good] @ s[good] / node_w[good].sum()) if good.any() else None
    boot = settings["bootstrap"]
    if bootstrap and boot["resamples"] > 0 and len(pseudonyms) > 1:
        out.bootstrap = ahp.bootstrap_weights(
            tree, {p: r.matrices for p, r in out.blocks.items()},
            {p: r.weights for p, r in out.blocks.items()}, resamples=boot["resamples"],
            aggregation=out.aggregation, method=settings["priority_method"], noise=boot["noise"],
            seed=boot["seed"])
    return out


@dataclass(frozen=True)
class Convergence:
    """Change of the group weights from one AHP round to the next."""

    max_change: float          # largest |local weight now - before| over shared nodes
    max_change_code: str | None
    rank_agreement: float      # share of shared blocks whose siblings keep their order
    kendall_tau: float | None  # Kendall's tau-b of the shared global weights
    s_star: float | None
    stop: bool                 # the coordinator's rule is met
    reasons: tuple             # which parts of the rule hold: ("s_star", "max_change", "max_rounds")


def convergence(before: RoundAnalysis, now: RoundAnalysis, settings: dict, round_count: int) -> Convergence:
    """S*, the largest change of a group weight and rank agreement, against the stopping rule."""
    from scipy.stats import kendalltau

    shared = [c for c in now.local if c in before.local]
    diffs = {c: abs(now.local[c] - before.local[c]) for c in shared}
    code = max(diffs, key=diffs.get) if diffs else None
    same = [p for p, r in now.blocks.items() if p in before.blocks and r.has_group
            and before.blocks[p].has_group and before.blocks[p].children == r.children]
    agree = [list(np.argsort(-now.blocks[p].aij if now.aggregation == "aij" else -now.blocks[p].aip))
             == list(np.argsort(-before.blocks[p].aij if before.aggregation == "aij" else -before.blocks[p].aip))
             for p in same]
    g = [c for c in now.global_weights if c in before.global_weights]
    tau = None
    if len(g) >= 3:
        t = kendalltau([now.global_weights[c] for c in g], [before.global_weights[c] for c in g]).statistic
        tau = None if not np.isfinite(t) else float(t)
    rule = settings["stopping"]
    reasons = []
    if now.s_star is not None and now.s_star >= rule["s_star"]:
        reasons.append("s_star")
    if diffs and diffs[code] <= rule["max_change"]:
        reasons.append("max_change")
    if round_count >= rule["max_rounds"]:
        reasons.append("max_rounds")
    stop = ("s_star" in reasons and "max_change" in reasons) or "max_rounds" in reasons
    return Convergence(max_change=float(diffs[code]) if code else 0.0, max_change_code=code,
                       rank_agreement=float(np.mean(agree)) if agree else 1.0, kendall_tau=tau,
                       s_star=now.s_star, stop=stop, reasons=tuple(reasons))
