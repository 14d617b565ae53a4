"""python -m weighting: the CSV front end prints what the library computes."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

import weighting as W
from weighting.cli import main, read_table

CSV = "\ufeffobject,A,B,C,D\nP1,250,16,12,5\nP2,200,16,8,3\nP3,300,32,16,4\nP4,275,32,8,4\nP5,225,16,16,2\n"
X = np.array([[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4], [275, 32, 8, 4], [225, 16, 16, 2]], float)


def run(tmp_path, *args, files=None):
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main([str(tmp_path / a) if a.endswith(".csv") else a for a in args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_objective_json_is_the_library_with_the_cost_direction(tmp_path):
    code, out, _ = run(tmp_path, "objective", "x.csv", "--cost", "D", "--format", "json", files={"x.csv": CSV})
    assert code == 0
    doc = json.loads(out)
    d = [1, 1, 1, -1]
    assert doc["indicators"] == ["A", "B", "C", "D"] and doc["cost"] == ["D"]
    assert_allclose(list(doc["results"]["entropy"]["weights"].values()), W.entropy(X, d).weights)
    assert_allclose(list(doc["results"]["critic"]["weights"].values()), W.critic(X, d).weights)
    assert doc["results"]["entropy"]["zeros"] == "shift"
    assert doc["results"]["critic"]["name"]["zh"] == "CRITIC 法"
    assert "column D" in doc["refused"]["pca"]  # D as a cost runs against the others: refused, not hidden


def test_objective_text_in_chinese_names_each_variant(tmp_path):
    code, out, _ = run(tmp_path, "objective", "x.csv", "--methods", "entropy,critic", "--normalization", "sum",
                       "--lang", "zh", files={"x.csv": CSV})
    assert code == 0
    assert "熵权法" in out and "sum-normalised" in out and "5 个评价对象" in out
    row_b = next(line for line in out.splitlines() if line.startswith("B "))
    assert "0.3788" in row_b and "0.2590" in row_b  # WEIGHTING.md's worked example


def test_combine_game_theory_and_linear(tmp_path):
    weights = "code,AHP,entropy\nA,0.5,0.06392\nB,0.3,0.37883\nC,0.1,0.28792\nD,0.1,0.26933\n"
    code, out, _ = run(tmp_path, "combine", "w.csv", "--format", "json", files={"w.csv": weights})
    assert code == 0
    doc = json.loads(out)
    w = np.array([[0.5, 0.3, 0.1, 0.1], [0.06392, 0.37883, 0.28792, 0.26933]])
    assert_allclose(list(doc["weights"].values()), W.combine(w, "game_theory").weights)
    code, out, _ = run(tmp_path, "combine", "w.csv", "--method", "linear", "--coefficients", "0.7,0.3",
                       "--format", "csv", files={"w.csv": weights})
    assert code == 0 and out.splitlines()[1].endswith(f"{0.7 * 0.5 + 0.3 * 0.06392:.4f}")


@pytest.mark.parametrize("args,files,message", [
    (["objective", "x.csv", "--cost", "Z"], {"x.csv": CSV}, "cost"),
    (["objective", "x.csv", "--methods", "topsis"], {"x.csv": CSV}, "methods"),
    (["objective", "x.csv"], {"x.csv": "object,A\nP1,1\nP2,\n"}, "not a number"),
    (["objective", "x.csv"], {"x.csv": "object,A,A\nP1,1,2\n"}, "distinct code"),
    (["objective", "missing.csv"], {}, "No such file"),
    (["combine", "w.csv", "--method", "linear"], {"w.csv": "code,a,b\nA,0.5,0.4\nB,0.5,0.6\n"}, "coefficients"),
])
def test_refused_input_exits_2_with_the_reason(tmp_path, args, files, message):
    code, out, err = run(tmp_path, *args, files=files)
    assert code == 2 and out == "" and message in err


def test_read_table_and_module_entry_point(tmp_path):
    names, codes, x = read_table(CSV)
    assert names == ["P1", "P2", "P3", "P4", "P5"] and codes == ["A", "B", "C", "D"]
    assert_allclose(x, X)
    (tmp_path / "x.csv").write_text(CSV, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "weighting", "objective", str(tmp_path / "x.csv"),
                           "--methods", "coefficient_of_variation", "--format", "csv"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[1] == "A,0.1318"
