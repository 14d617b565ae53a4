"""python -m evaluation score WEIGHTSET.json SCORES.csv, end to end on the seed hierarchy."""

import csv
import io
import json
import subprocess
import sys

import pytest

from evaluation.cli import main, read_scores_csv

from .conftest import DATA, ROOT, build_weight_set, leaf_globals, load_seed

WS, CSV = DATA / "seed-weight-set.json", DATA / "seed-scores.csv"


def run(*args):
    """A real ``python -m evaluation`` process."""
    return subprocess.run([sys.executable, "-m", "evaluation", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def call(*args):
    """The same entry point in-process (quicker): (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main([str(a) for a in args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def expected():
    """T and T_i from the CSV by plain recursion over the hierarchy (independent of evaluation/)."""
    seed = load_seed()
    g = leaf_globals(seed)
    with open(CSV, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for row in rows:
        name = row.pop("platform")
        vals = {k: float(v) for k, v in row.items()}
        total = sum(g[c] * vals[c] for c in g)
        elems = {}
        for k, elem in enumerate(seed["children"]):
            s_i = (4 - k) / 10
            codes = [c for c in g if c.startswith(elem["code"])]
            elems[elem["code"]] = sum(g[c] * vals[c] for c in codes) / s_i
        out[name] = (total, elems)
    return out


def test_fixture_weight_set_is_the_builders_output():
    assert json.loads(WS.read_text(encoding="utf-8")) == build_weight_set(load_seed())
    assert CSV.read_bytes().startswith(b"\xef\xbb\xbf")             # saved with a BOM, as Excel does


def test_text_output_end_to_end():
    proc = run("score", WS, CSV)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Seed demo v1") and "5 objects, 48 indicators" in lines[0]
    assert "A = Basic conditions" in lines[1]
    body = {ln.split("  ")[0].strip(): ln for ln in lines[3:]}
    for name, (total, elems) in expected().items():
        line = body[name]
        assert f"{total:.2f}" in line
        for value in elems.values():
            assert f"{value:.2f}" in line
        stars = 5 if total >= 90 else 4 if total >= 80 else 3 if total >= 70 else 2 if total >= 60 else 1
        assert "★" * stars + "☆" * (5 - stars) in line


def test_csv_and_json_output_and_chinese():
    rows = list(csv.reader(io.StringIO(call("score", WS, CSV, "--format", "csv")[1])))
    assert rows[0] == ["object", "T", "A", "B", "C", "D", "stars", "coverage"]
    exp = expected()
    for row in rows[1:]:
        assert float(row[1]) == pytest.approx(exp[row[0]][0], abs=0.005)
    data = json.loads(call("score", WS, CSV, "--format", "json")[1])
    assert [o["stars"] for o in data["objects"]] == [5, 4, 3, 2, 1]
    for o in data["objects"]:
        assert o["total"] == pytest.approx(exp[o["object"]][0], abs=1e-9)
        assert o["elements"] == pytest.approx(exp[o["object"]][1], abs=1e-9)
    zh = call("score", WS, CSV, "--lang", "zh")[1]
    assert "评价对象" in zh and "基础条件" in zh and "星级" in zh


def test_without_bom_and_missing_reweight(tmp_path):
    text = CSV.read_text(encoding="utf-8-sig").splitlines()
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index("D4.3")] = ""
    plain = tmp_path / "s.csv"
    plain.write_text("\n".join([text[0], ",".join(cells)]) + "\n", encoding="utf-8")
    refused = run("score", WS, plain)
    assert refused.returncode == 2 and "missing" in refused.stderr and "D4.3" in refused.stderr
    assert refused.stdout == ""
    status, out, _ = call("score", WS, plain, "--missing", "reweight", "--format", "json")
    obj = json.loads(out)["objects"][0]
    assert obj["missing"] == ["D4.3"] and obj["coverage"] == pytest.approx(1 - 0.1 * 0.1 / 6)   # D 0.1 × D4 0.1 × D4.3 1/6


@pytest.mark.parametrize("mutate, message", [
    (lambda h, r: (h + ["Z9"], [row + ["50"] for row in r]), "'Z9' is unknown"),
    (lambda h, r: (h, [[row[0], "150", *row[2:]] for row in r]), "off the scale"),
    (lambda h, r: (h + ["A1.1"], r), "appear more than once"),
])
def test_refusals_exit_2(tmp_path, mutate, message):
    rows = list(csv.reader(io.StringIO(CSV.read_text(encoding="utf-8-sig"))))
    header, body = mutate(rows[0], rows[1:])
    path = tmp_path / "bad.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    out, err = io.StringIO(), io.StringIO()
    assert main(["score", str(WS), str(path)], stdout=out, stderr=err) == 2
    assert message in err.getvalue() and out.getvalue() == ""


def test_bad_weight_set_and_bands(tmp_path):
    ws = json.loads(WS.read_text(encoding="utf-8"))
    ws["nodes"][1]["local_weight"] = 0.5
    bad = tmp_path / "ws.json"
    bad.write_text(json.dumps(ws), encoding="utf-8")
    err = io.StringIO()
    assert main(["score", str(bad), str(CSV)], stdout=io.StringIO(), stderr=err) == 2
    assert "children of 'SQ' sum to" in err.getvalue()
    bands = tmp_path / "bands.json"
    bands.write_text(json.dumps([{"stars": 2, "min": 80}, {"stars": 1, "min": 50}]), encoding="utf-8")
    err = io.StringIO()
    assert main(["score", str(WS), str(CSV), "--bands", str(bands)], stdout=io.StringIO(), stderr=err) == 2
    assert "gap" in err.getvalue()
    err = io.StringIO()
    assert main(["score", str(tmp_path / "none.json"), str(CSV)], stdout=io.StringIO(), stderr=err) == 2
    assert "No such file" in err.getvalue()


def test_read_scores_csv_rules():
    assert read_scores_csv("\ufeffname,a,b\nx,1,\n") == {"x": {"a": "1", "b": None}}
    with pytest.raises(ValueError, match="object 'x' appears more than once"):
        read_scores_csv("name,a\nx,1\nx,2\n")
    with pytest.raises(ValueError, match="header row"):
        read_scores_csv("name,a\n")
    with pytest.raises(ValueError, match="row 2 has 2 values"):
        read_scores_csv("name,a\nx,1,2\n")
