"""flask --app webapp score: the evaluation library's scorer as a Flask command (no database writes)."""
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "evaluation" / "data"


def test_score_prints_totals_elements_and_stars(runner):
    result = runner.invoke(args=["score", str(DATA / "seed-weight-set.json"), str(DATA / "seed-scores.csv")])
    assert result.exit_code == 0, result.output
    assert "Platform Alpha 甲" in result.output and "★★★★★" in result.output
    assert "A = Basic conditions" in result.output


def test_score_json_matches_the_library(runner):
    import evaluation
    from evaluation.cli import read_scores_csv

    result = runner.invoke(args=["score", str(DATA / "seed-weight-set.json"), str(DATA / "seed-scores.csv"),
                                 "--format", "json"])
    data = json.loads(result.output)
    ws = json.loads((DATA / "seed-weight-set.json").read_text(encoding="utf-8"))
    table = read_scores_csv((DATA / "seed-scores.csv").read_text(encoding="utf-8-sig"))
    lib = evaluation.score(ws, table)
    assert [o["total"] for o in data["objects"]] == lib.total.tolist()


def test_score_refusal_is_a_clear_error(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("platform,Z9\nP,50\n", encoding="utf-8")
    result = runner.invoke(args=["score", str(DATA / "seed-weight-set.json"), str(bad)])
    assert result.exit_code != 0 and "'Z9' is unknown" in result.output


def test_score_with_a_version_published_here(app, runner, make_study):
    from webapp.extensions import db
    from webapp.models import Study, WeightSet

    sid = make_study()
    doc = json.loads((DATA / "seed-weight-set.json").read_text(encoding="utf-8"))
    with app.app_context():
        db.session.add(WeightSet.freeze(study=db.session.get(Study, sid), version=1, payload=doc))
        db.session.commit()
    ok = runner.invoke(args=["score", f"study:{sid}:v1", str(DATA / "seed-scores.csv"), "--format", "csv"])
    assert ok.exit_code == 0, ok.output
    from_file = runner.invoke(args=["score", str(DATA / "seed-weight-set.json"), str(DATA / "seed-scores.csv"),
                                    "--format", "csv"])
    assert ok.output == from_file.output
    missing = runner.invoke(args=["score", f"study:{sid}:v2", str(DATA / "seed-scores.csv")])
    assert missing.exit_code != 0 and "no weight set version 2" in missing.output
