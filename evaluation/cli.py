"""Command line: score a CSV of objects with a published weight set, without the server.

``python -m evaluation score WEIGHTSET.json SCORES.csv`` prints each object's
total T, its first-level element scores T_i, its stars and its coverage.  The
CSV has one row per object, the object's name in the first column and one
column per leaf code (UTF-8, with or without a byte-order mark); an empty
cell is a missing score.  The same runs as ``flask --app webapp score``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import warnings

from .scoring import LowCoverageWarning, grade, score
from .weightset import WeightTree

__all__ = ["main", "read_scores_csv", "score_table", "build_parser"]

_LABELS = {
    "en": {"object": "object", "stars": "stars", "coverage": "coverage", "low": "coverage below {t:.0%}",
           "head": "{title} — {m} objects, {n} indicators, missing scores: {policy}"},
    "zh": {"object": "评价对象", "stars": "星级", "coverage": "覆盖率", "low": "覆盖率低于 {t:.0%}",
           "head": "{title} — 评价对象 {m} 个，指标 {n} 项，缺失评分：{policy}"},
}


def read_scores_csv(text: str) -> dict:
    """Parse the scores CSV text into ``{object: {code: value or None}}``.

    Raises ``ValueError`` naming ``scores_csv`` for an empty file, a header
    without indicator codes, duplicate codes or objects, and rows of the wrong length.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError("scores_csv needs a header row (object, leaf codes…) and at least one object row")
    codes = [c.strip() for c in rows[0][1:]]
    if not codes or any(not c for c in codes):
        raise ValueError("scores_csv: the header must name an indicator code in every column after the first")
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise ValueError(f"scores_csv: indicator codes {dup} appear more than once in the header")
    out: dict = {}
    for line, row in enumerate(rows[1:], start=2):
        name = row[0].strip()
        if not name:
            raise ValueError(f"scores_csv: row {line} has no object name")
        if name in out:
            raise ValueError(f"scores_csv: object {name!r} appears more than once")
        cells = [c.strip() for c in row[1:]]
        if len(cells) > len(codes):
            raise ValueError(f"scores_csv: row {line} has {len(cells)} values for {len(codes)} codes")
        cells += [""] * (len(codes) - len(cells))
        out[name] = {c: (v or None) for c, v in zip(codes, cells)}
    return out


def score_table(weight_set: dict, scores: dict, *, bands=None, missing: str = "refuse",
                fmt: str = "text", lang: str = "en") -> str:
    """Score and grade ``scores`` with ``weight_set``; return the printed table (text, csv or json)."""
    tree = WeightTree.from_dict(weight_set)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LowCoverageWarning)
        res = score(tree, scores, missing=missing)
    stars = grade(res.total, bands)
    lab = _LABELS.get(lang, _LABELS["en"])
    if fmt == "json":
        rows = res.rows()
        for row, s, label in zip(rows, stars.stars.tolist(), stars.label):
            row["stars"], row["label"] = s, label
        return json.dumps({"objects": rows, "elements": list(res.elements),
                           "bands": list(stars.bands), "missing_policy": missing}, ensure_ascii=False, indent=1)
    header = [lab["object"], "T", *res.elements, lab["stars"], lab["coverage"]]
    body = []
    for i, obj in enumerate(res.objects):
        body.append([obj, f"{res.total[i]:.2f}", *(f"{v:.2f}" for v in res.element_scores[i]),
                     str(int(stars.stars[i])), f"{res.coverage[i]:.0%}"])
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)
        return buf.getvalue()
    title = weight_set.get("study", {}).get("title") if isinstance(weight_set.get("study"), dict) else None
    if isinstance(title, dict):
        title = title.get(lang) or title.get("en") or title.get("zh")
    version = weight_set.get("version")
    title = f"{title or 'weight set'}{f' v{version}' if version is not None else ''}"
    lines = [lab["head"].format(title=title, m=len(res.objects), n=len(res.leaves), policy=missing)]
    lines.append("  ".join(f"{c} = {tree.name(c, lang)}" for c in res.elements))
    for i, row in enumerate(body):
        row[-2] = stars.label[i]
        if res.low_coverage[i]:
            row[-1] += "  ! " + lab["low"].format(t=res.coverage_threshold)
    width = [max(_width(r[k]) for r in [header, *body]) for k in range(len(header))]
    for r in [header, *body]:
        lines.append("  ".join(_pad(c, w, left=(k == 0 or k >= len(header) - 2))
                               for k, (c, w) in enumerate(zip(r, width))).rstrip())
    return "\n".join(lines) + "\n"


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 and ch not in "★☆" else 1 for ch in s)


def _pad(s: str, w: int, left: bool) -> str:
    gap = " " * (w - _width(s))
    return s + gap if left else gap + s


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluation",
                                     description="Score evaluated objects with a published weight set.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="print T, the element scores and the stars per object")
    p.add_argument("weight_set", help="weight-set/1 JSON file")
    p.add_argument("scores", help="CSV: first column the object, then one column per leaf code")
    p.add_argument("--bands", help="JSON file with star bands ([{'stars': 5, 'min': 90}, …] or a 'rating' object)")
    p.add_argument("--missing", choices=("refuse", "reweight"), default="refuse",
                   help="refuse missing scores (default) or re-weight over the indicators present")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    return parser


def main(argv=None, *, stdout=None, stderr=None) -> int:
    """Run the command line; return the exit status (0 ok, 2 refused input)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        with open(args.weight_set, encoding="utf-8-sig") as fh:
            weight_set = json.load(fh)
        with open(args.scores, encoding="utf-8-sig", newline="") as fh:
            scores = read_scores_csv(fh.read())
        bands = None
        if args.bands:
            with open(args.bands, encoding="utf-8-sig") as fh:
                bands = json.load(fh)
        out = score_table(weight_set, scores, bands=bands, missing=args.missing, fmt=args.format, lang=args.lang)
    except (OSError, ValueError) as exc:   # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        print(f"error: {exc}", file=stderr)
        return 2
    stdout.write(out)
    return 0
