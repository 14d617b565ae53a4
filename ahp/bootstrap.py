"""Bootstrap over experts: intervals of global weights and outrank probabilities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from numbers import Integral

import numpy as np

from ._validation import as_float_array, check_method, check_pairwise_matrix
from .hierarchy import Hierarchy
from .priorities import priorities_of_valid
from .results import _plain, _Result

__all__ = ["bootstrap_weights", "BootstrapResult"]

_AGGREGATIONS = ("aij", "aip")
_CHUNK_CELLS = 4_000_000  # floats per noisy AIP chunk (resamples x experts x n x n)


@dataclass(frozen=True)
class BootstrapResult(_Result):
    """Bootstrap distribution of a panel's group weights.

    Attributes
    ----------
    codes : tuple of str
        Every non-root node, level by level (the columns of ``samples``).
    estimate : dict
        ``{code: global weight}`` of the whole panel (no resampling).
    intervals : dict
        ``{code: (lo, hi)}`` percentile interval of the global weight.
    outrank : dict
        ``{parent: (n, n) array}``; ``[i, j]`` is the share of resamples in
        which child ``i`` weighs more than child ``j`` (ties count one half),
        so ``P + P.T = 1`` off the diagonal.
    samples : ndarray, shape (resamples, len(codes))
        Global weights of every resample (NaN where a resample drew no
        expert with weight in a group); left out of ``to_dict()``.
    resamples, seed, level, noise, aggregation, method
        The options used.
    """

    codes: tuple
    estimate: dict
    intervals: dict
    outrank: dict
    samples: np.ndarray
    resamples: int
    seed: int | None
    level: float
    noise: float
    aggregation: str
    method: str

    def to_dict(self) -> dict:
        """Plain ``dict`` without ``samples`` (NaN becomes ``None``)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "samples"}


def _check_options(resamples, level, noise, seed):
    if isinstance(resamples, bool) or not isinstance(resamples, Integral) or not 1 <= resamples <= 1_000_000:
        raise ValueError(f"resamples must be an integer from 1 to 1000000; got {resamples!r}")
    if not isinstance(level, (int, float)) or not 0 < float(level) < 1:
        raise ValueError(f"level must be a number in (0, 1); got {level!r}")
    if not isinstance(noise, (int, float)) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (sd of ln judgments); got {noise!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, Integral)):
        raise ValueError(f"seed must be an integer or None; got {seed!r}")


def _check_panel(hierarchy, judgments, weights):
    if not isinstance(hierarchy, Hierarchy):
        raise ValueError(f"hierarchy must be an ahp.Hierarchy; got {type(hierarchy).__name__}")
    if not isinstance(judgments, Mapping):
        raise ValueError("judgments must be a mapping {parent_code: stack of matrices}")
    groups = hierarchy.groups()
    wanted = [p for p, _ in groups]
    extra = [c for c in judgments if c not in wanted]
    missing = [c for c in wanted if c not in judgments]
    if extra or missing:
        raise ValueError(f"judgments must have exactly the groups {wanted}; extra {extra}, missing {missing}")
    stacks, k = {}, None
    for parent, kids in groups:
        name = f"judgments[{parent!r}]"
        arr = check_pairwise_matrix(judgments[parent], name)
        if arr.ndim != 3 or arr.shape[1] != len(kids):
            raise ValueError(f"{name} must have shape (k, {len(kids)}, {len(kids)}); got shape {arr.shape}")
        if k is None:
            k = arr.shape[0]
        elif arr.shape[0] != k:
            raise ValueError(f"{name} has {arr.shape[0]} experts, the other groups {k}: "
                             "give every group the whole panel and weight 0 to an expert left out")
        stacks[parent] = arr
    group_w = {}
    for parent in wanted:
        w = weights.get(parent) if isinstance(weights, Mapping) else weights
        name = f"weights[{parent!r}]" if isinstance(weights, Mapping) else "weights"
        if w is None:
            w = np.ones(k)
        w = as_float_array(w, name)
        if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError(f"{name} must be {k} finite non-negative expert weights with a positive sum")
        group_w[parent] = w
    return groups, stacks, group_w, k


def _antisym(logs):
    return 0.5 * (logs - np.swapaxes(logs, -1, -2))


def _local_from_sums(sums, total, *, aggregation, method, n):
    """Local weights (B, n) from the resampled weighted sums of ln a_ij (AIJ) or ln w_i (AIP)."""
    ok = total > 0
    mean = sums / np.where(ok, total, 1.0)[:, None]
    if aggregation == "aij":
        logs = _antisym(mean.reshape(-1, n, n))
        local = priorities_of_valid(np.exp(logs), method)
    else:
        p = np.exp(mean - mean.max(axis=1, keepdims=True))
        local = p / p.sum(axis=1, keepdims=True)
    local[~ok] = np.nan
    return local


def _noisy_group(stack, w, counts, *, aggregation, method, noise, rng):
    """Local weights (B, n) of one group with judgment noise on every expert's ln a_ij."""
    k, n, _ = stack.shape
    c = counts * w
    total = c.sum(axis=1)
    cn = c / np.where(total > 0, total, 1.0)[:, None]
    logs = np.log(stack)
    if aggregation == "aij":
        mean = np.tensordot(cn, logs, axes=([1], [0]))
        # Independent N(0, noise^2) on every expert's ln a_ij (i < j) adds, to the weighted mean,
        # N(0, noise^2 * sum_k c_k^2): drawn once per aggregated cell.
        e = np.triu(rng.standard_normal((len(c), n, n)), 1) * (noise * np.sqrt((cn * cn).sum(axis=1)))[:, None, None]
        sums = (mean + e - np.swapaxes(e, -1, -2)).reshape(len(c), -1)
    else:
        sums = np.empty((len(c), n))
        step = max(1, _CHUNK_CELLS // (k * n * n))
        for s in range(0, len(c), step):
            e = np.triu(rng.standard_normal((min(step, len(c) - s), k, n, n)), 1) * noise
            noisy = np.exp(_antisym(logs + e - np.swapaxes(e, -1, -2)))
            sums[s:s + step] = np.einsum("bk,bkn->bn", cn[s:s + step], np.log(priorities_of_valid(noisy, method)))
    return _local_from_sums(sums, np.where(total > 0, 1.0, 0.0), aggregation=aggregation, method=method, n=n)


def _resampled_locals(groups, stacks, group_w, counts, *, aggregation, method, noise, rng):
    """{parent: (B, n) local weights}; without noise every group's weighted sums come from one
    matrix product ``counts @ [w_g * ln a_g | w_g]`` over all groups."""
    if noise > 0:
        return {p: _noisy_group(stacks[p], group_w[p], counts, aggregation=aggregation, method=method,
                                noise=noise, rng=rng) for p, _ in groups}
    blocks, spans, col = [], {}, 0
    for parent, _ in groups:
        arr, w = stacks[parent], group_w[parent]
        k, n, _n = arr.shape
        logs = np.log(arr).reshape(k, -1) if aggregation == "aij" else np.log(priorities_of_valid(arr, method))
        blocks += [w[:, None] * logs, w[:, None]]
        spans[parent] = (col, col + logs.shape[1], n)
        col += logs.shape[1] + 1
    sums = counts @ np.hstack(blocks)
    return {p: _local_from_sums(sums[:, a:b], sums[:, b], aggregation=aggregation, method=method, n=n)
            for p, (a, b, n) in spans.items()}


def bootstrap_weights(hierarchy, judgments, weights=None, *, resamples: int = 1000, aggregation: str = "aij",
                      method: str = "eigen", noise: float = 0.0, level: float = 0.95,
                      seed: int | None = 0) -> BootstrapResult:
    r"""Bootstrap the panel's group weights over experts (and optionally judgment noise).

    Each resample draws ``k`` experts with replacement from the panel (the
    same draw for every group, so an expert's judgments stay together) and
    aggregates the drawn experts with their weights times their multiplicity
    :math:`c_{bk}`:

    .. math::

        \ln a^{(b)}_{ij} = \frac{\sum_k c_{bk}\,\omega_k \ln a^{(k)}_{ij}}{\sum_k c_{bk}\,\omega_k}
        \quad\text{(AIJ)}, \qquad
        w^{(b)} \propto \prod_k \bigl(w^{(k)}\bigr)^{c_{bk}\omega_k/\sum c\omega} \quad\text{(AIP)}

    then multiplies local weights down the tree.  The interval of a global
    weight is the percentile interval of its resamples (Efron & Tibshirani
    1993, ch. 13); ``outrank[parent][i, j]`` is the share of resamples in
    which sibling ``i`` outweighs sibling ``j`` -- how settled a rank is.

    Parameters
    ----------
    hierarchy : ahp.Hierarchy
    judgments : mapping of parent code -> array_like, shape (k, n, n)
        The whole panel for every group of ``hierarchy.groups()`` (complete
        matrices; use :func:`ahp.complete` first for incomplete ones).
    weights : array_like (k,) or mapping of parent code -> (k,), optional
        Expert weights (equal if omitted); weight 0 leaves an expert out of
        a group (e.g. censored for its CR).
    resamples : int, optional
        Number of bootstrap resamples (1000).
    aggregation : {"aij", "aip"}, optional
    method : {"eigen", "geometric", "arithmetic"}, optional
        Priority method.
    noise : float, optional
        Standard deviation of independent normal noise added to every
        expert's :math:`\ln a_{ij}` in every resample (0 = none), as AHP-OS
        varies judgments in its uncertainty analysis.  For AIJ the noise of
        the weighted mean is drawn directly,
        :math:`N(0, \sigma^2 \sum_k c_k^2)` with normalised :math:`c` --
        the same distribution, without one matrix per expert.
    level : float, optional
        Coverage of the intervals (0.95).
    seed : int or None, optional
        Seed of ``numpy.random.default_rng`` (0: reports are reproducible).

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> import ahp
    >>> h = ahp.Hierarchy.from_dict({"code": "G", "children": [{"code": "A"}, {"code": "B"}]})
    >>> r = ahp.bootstrap_weights(h, {"G": [ahp.from_upper([v], 2) for v in (3, 3, 1/3)]}, resamples=200)
    >>> r.estimate["A"] > 0.5, bool(r.intervals["A"][0] <= r.estimate["A"] <= r.intervals["A"][1])
    (True, True)
    """
    check_method(aggregation, _AGGREGATIONS, name="aggregation")
    check_method(method)
    _check_options(resamples, level, noise, seed)
    groups, stacks, group_w, k = _check_panel(hierarchy, judgments, weights)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, k, size=(resamples, k))
    counts = np.bincount((draws + k * np.arange(resamples)[:, None]).ravel(),
                         minlength=resamples * k).reshape(resamples, k).astype(float)
    opts = dict(aggregation=aggregation, method=method, rng=rng)
    local = _resampled_locals(groups, stacks, group_w, counts, noise=float(noise), **opts)
    whole = {p: v[0] for p, v in _resampled_locals(groups, stacks, group_w, np.ones((1, k)), noise=0.0,
                                                   **opts).items()}
    codes = tuple(c for c in hierarchy.codes if c != hierarchy.root)
    glob_s = _globals(hierarchy, local, resamples)
    glob_e = _globals(hierarchy, {p: v[None, :] for p, v in whole.items()}, 1)
    samples = np.column_stack([glob_s[c] for c in codes]) if codes else np.empty((resamples, 0))
    alpha = (1.0 - float(level)) / 2.0
    quantile = np.nanquantile if np.isnan(samples).any() else np.quantile  # nanquantile loops over columns
    with np.errstate(all="ignore"):
        lo, hi = quantile(samples, [alpha, 1.0 - alpha], axis=0) if codes else ([], [])
    outrank = {}
    for parent, _ in groups:
        x = local[parent][~np.isnan(local[parent][:, 0])]
        gt = (x[:, :, None] > x[:, None, :]).mean(axis=0) if len(x) else np.full((x.shape[1],) * 2, np.nan)
        eq = (x[:, :, None] == x[:, None, :]).mean(axis=0) if len(x) else gt
        p = gt + 0.5 * eq
        np.fill_diagonal(p, np.nan)
        outrank[parent] = p
    return BootstrapResult(
        codes=codes,
        estimate={c: float(glob_e[c][0]) for c in codes},
        intervals={c: (float(lo[i]), float(hi[i])) for i, c in enumerate(codes)},
        outrank=outrank,
        samples=samples,
        resamples=int(resamples),
        seed=None if seed is None else int(seed),
        level=float(level),
        noise=float(noise),
        aggregation=aggregation,
        method=method,
    )


def _globals(hierarchy: Hierarchy, local: Mapping, b: int) -> dict:
    """Global weights (b,) of every node from local weights (b, n) per group."""
    glob = {hierarchy.root: np.ones(b)}
    for code in hierarchy.codes:
        kids = hierarchy.children(code)
        if len(kids) == 1:
            glob[kids[0]] = glob[code]
        elif kids:
            for i, kid in enumerate(kids):
                glob[kid] = glob[code] * local[code][:, i]
    return glob
