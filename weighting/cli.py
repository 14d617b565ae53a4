"""Command line: objective weights of a data CSV, and combination, without the server.

``python -m weighting objective DATA.csv`` prints every objective method's weights
(entropy, CV, mean square deviation, CRITIC, scatter degree, max deviation, PCA) side
by side, each with its variant named: what coordinators otherwise compute one method at a
time in SPSSAU.  The CSV has one row per evaluated object (its name in the first column)
and one column per indicator code; ``--cost`` names the cost indicators.

``python -m weighting combine WEIGHTS.csv --method game_theory`` combines weight vectors
given as columns (first column the indicator code, one column per vector).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys

import numpy as np

from .catalog import METHODS
from .combination import COMBINATIONS, combine
from .normalization import NORMALIZATIONS
from .objective import coefficient_of_variation, critic, entropy, mean_square_deviation
from .spread import max_deviation, pca, scatter_degree

__all__ = ["main", "build_parser", "read_table", "objective_table", "combine_table", "OBJECTIVE"]

#: name -> callable(x, directions, options) for ``objective``.
OBJECTIVE = {
    "entropy": lambda x, d, o: entropy(x, d, normalization=o["normalization"], zeros=o["zeros"]),
    "coefficient_of_variation": lambda x, d, o: coefficient_of_variation(x),
    "mean_square_deviation": lambda x, d, o: mean_square_deviation(x, d),
    "critic": lambda x, d, o: critic(x, d),
    "scatter_degree": lambda x, d, o: scatter_degree(x, d),
    "max_deviation": lambda x, d, o: max_deviation(x, d),
    "pca": lambda x, d, o: pca(x, d),
}


def read_table(text: str, name: str = "data_csv") -> tuple[list[str], list[str], np.ndarray]:
    """Parse CSV text: header (corner cell, then codes), one row per object or code.

    Returns ``(row_names, column_codes, values)``; ``ValueError`` naming ``name`` for an
    empty file, duplicate names, ragged rows or a cell that is not a number.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"{name} needs a header row and at least one data row")
    codes = [c.strip() for c in rows[0][1:]]
    if not codes or any(not c for c in codes) or len(set(codes)) != len(codes):
        raise ValueError(f"{name}: the header must name a distinct code in every column after the first")
    names, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row[1:]]
        if len(cells) != len(codes):
            raise ValueError(f"{name}: row {line} has {len(cells)} values for {len(codes)} columns")
        try:
            values.append([float(c) for c in cells])
        except ValueError:
            raise ValueError(f"{name}: row {line} holds a cell that is not a number (no missing values)") from None
        names.append(row[0].strip())
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: a row name appears more than once")
    return names, codes, np.array(values)


def _render(header, body, fmt, lines):
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
        return buf.getvalue()
    width = [max(len(str(r[k])) for r in [header, *body]) for k in range(len(header))]
    for r in [header, *body]:
        lines.append("  ".join(str(c).ljust(wd) if k == 0 else str(c).rjust(wd)
                               for k, (c, wd) in enumerate(zip(r, width))).rstrip())
    return "\n".join(lines) + "\n"


def objective_table(text: str, *, cost=(), methods=None, normalization="minmax", zeros="shift",
                    fmt="text", lang="en") -> str:
    """Every (or the named) objective method on the data CSV; the printed table."""
    objects, codes, x = read_table(text)
    unknown = sorted(set(cost) - set(codes))
    if unknown:
        raise ValueError(f"cost names codes not in the header: {unknown}")
    d = np.array([-1.0 if c in set(cost) else 1.0 for c in codes])
    methods = list(methods or OBJECTIVE)
    bad = sorted(set(methods) - set(OBJECTIVE))
    if bad:
        raise ValueError(f"methods must be among {', '.join(OBJECTIVE)}; got {bad}")
    opts = {"normalization": normalization, "zeros": zeros}
    results, refused = {}, {}
    for m in methods:
        try:
            results[m] = OBJECTIVE[m](x, d, opts)
        except ValueError as exc:  # one method's refusal (e.g. PCA sign) does not stop the others
            refused[m] = re.sub(r"column (\d+)", lambda g: f"column {codes[int(g.group(1))]}", str(exc))
    if fmt == "json":
        out = {m: {**r.to_dict(), "weights": dict(zip(codes, r.weights.tolist())),
                   "name": dict(METHODS[m])} for m, r in results.items()}
        return json.dumps({"objects": len(objects), "indicators": codes, "cost": list(cost),
                           "results": out, "refused": refused}, ensure_ascii=False, indent=1) + "\n"
    key = "zh" if lang == "zh" else "en"
    header = ["指标" if lang == "zh" else "indicator", *results]
    body = [[c, *(f"{results[m].weights[j]:.4f}" for m in results)] for j, c in enumerate(codes)]
    lines = [("{m} 个评价对象，{n} 项指标；负向指标：{c}" if lang == "zh" else
              "{m} objects, {n} indicators; cost indicators: {c}").format(
                  m=len(objects), n=len(codes), c=", ".join(cost) or "-")]
    lines += [f"  {m}: {METHODS[m][key]} — {r.variant}" for m, r in results.items()]
    lines += [f"  {m}: {'未计算' if lang == 'zh' else 'refused'} — {msg}" for m, msg in refused.items()]
    return _render(header, body, fmt, lines)


def combine_table(text: str, *, method="linear", coefficients=None, data_text=None, cost=(),
                  fmt="text") -> str:
    """Combine the weight vectors given as the CSV's columns; the printed table."""
    codes, names, w = read_table(text, "weights_csv")
    x = None
    if data_text is not None:
        _, data_codes, x = read_table(data_text)
        if data_codes != codes:
            raise ValueError("data_csv must have the weights' indicator codes as its columns, in that order")
    d = np.array([-1.0 if c in set(cost) else 1.0 for c in codes])
    r = combine(w.T, method, coefficients, x=x, directions=d if x is not None else None)
    if fmt == "json":
        return json.dumps({**r.to_dict(), "weights": dict(zip(codes, r.weights.tolist())),
                           "vectors": names}, ensure_ascii=False, indent=1) + "\n"
    lines = [f"{method}: coefficients "
             + (", ".join(f"{n} {a:.4f}" for n, a in zip(names, r.coefficients))
                if r.coefficients is not None else "-")]
    if r.negative_coefficient:
        lines.append("  unconstrained solution had a negative coefficient ("
                     + ", ".join(f"{a:.4f}" for a in r.raw_coefficients) + "); re-solved with coefficients >= 0")
    header = ["indicator", *names, "combined"]
    body = [[c, *(f"{v:.4f}" for v in w[j]), f"{r.weights[j]:.4f}"] for j, c in enumerate(codes)]
    return _render(header, body, fmt, lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m weighting",
                                     description="Objective and combined indicator weights (seed 5.2.6).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("objective", help="every objective method's weights, side by side")
    p.add_argument("data", help="CSV: first column the object, then one column per indicator code")
    p.add_argument("--cost", default="", help="comma-separated codes of cost (negative) indicators")
    p.add_argument("--methods", default="", help=f"comma-separated subset of {', '.join(OBJECTIVE)}")
    p.add_argument("--normalization", choices=NORMALIZATIONS + ("none",), default="minmax",
                   help="entropy's normalisation (default minmax)")
    p.add_argument("--zeros", choices=("shift", "ignore", "refuse"), default="shift",
                   help="entropy's zero policy (default shift, SPSSAU's rule)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    c = sub.add_parser("combine", help="combine weight vectors given as columns")
    c.add_argument("weights", help="CSV: first column the indicator code, one column per weight vector")
    c.add_argument("--method", choices=COMBINATIONS, default="game_theory")
    c.add_argument("--coefficients", default="", help="comma-separated, for --method linear")
    c.add_argument("--data", help="data CSV (objects x indicators) for --method level_difference")
    c.add_argument("--cost", default="", help="cost indicators of --data")
    c.add_argument("--format", choices=("text", "csv", "json"), default="text")
    return parser


def _split(s: str) -> list[str]:
    return [p.strip() for p in s.split(",") if p.strip()]


def _read(path: str) -> str:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return fh.read()


def main(argv=None, *, stdout=None, stderr=None) -> int:
    """Run the command line; return the exit status (0 ok, 2 refused input)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        if args.command == "objective":
            out = objective_table(_read(args.data), cost=_split(args.cost), methods=_split(args.methods),
                                  normalization=args.normalization, zeros=args.zeros, fmt=args.format,
                                  lang=args.lang)
        else:
            coef = [float(v) for v in _split(args.coefficients)] or None
            out = combine_table(_read(args.weights), method=args.method, coefficients=coef,
                                data_text=_read(args.data) if args.data else None, cost=_split(args.cost),
                                fmt=args.format)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=stderr)
        return 2
    stdout.write(out)
    return 0
