"""Evaluations: create on a pinned published weight set, add objects, import scores, results.

Services flush, never commit; refused input raises ``EvaluationError`` (translated) before anything
is written, so a refused upload stores nothing. Numbers come from ``evaluation/`` through
``webapp.services.evaluation_results``.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

import evaluation as ev
from webapp.extensions import db
from webapp.models import (
    EvaluatedObject,
    Evaluation,
    EvaluationKind,
    EvaluationScore,
    InvalidTransition,
    WeightSet,
)
from webapp.services import audit
from webapp.services.evaluation_results import EvaluationResults, build_results
from webapp.services.evaluation_uncertainty import weight_samples
from webapp.services.spreadsheet import safe_cell  # the one escaping helper (contracts.md)
from webapp.services.tree import dropped_ids

MAX_OBJECTS = 500
MAX_NAME = 200
MISSING_POLICIES = ("refuse", "reweight")


class EvaluationError(ValueError):
    """Refused input; the message is for the coordinator."""


def kind_label(kind) -> str:
    value = getattr(kind, "value", kind)
    return {"self_assessment": _("Self-assessment"), "second_party": _("Second-party evaluation"),
            "third_party": _("Third-party evaluation")}.get(value, value)


def kind_choices() -> list[tuple[str, str]]:
    return [(k.value, kind_label(k)) for k in EvaluationKind]


# --- queries --------------------------------------------------------------------------------

def evaluations_of(study) -> list[Evaluation]:
    return list(db.session.scalars(select(Evaluation).where(Evaluation.study_id == study.id)
                                   .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())))


def evaluation_of(study, evaluation_id: int) -> Evaluation | None:
    found = db.session.get(Evaluation, evaluation_id)
    return found if found is not None and found.study_id == study.id else None


def published_versions(study) -> list[WeightSet]:
    """The study's published weight sets that can be evaluated with (withdrawn ones left out)."""
    rows = db.session.scalars(select(WeightSet).where(WeightSet.study_id == study.id)
                              .order_by(WeightSet.version.desc()))
    return [w for w in rows if not getattr(w, "is_withdrawn", False)]


def document_of(evaluation: Evaluation) -> dict:
    """The pinned weight-set/1 document (frozen payload of the pinned version)."""
    return evaluation.weight_set.payload


def _study_parents(study, payload: dict) -> dict:
    """{code: parent code} of the indicators in the study when the weight set's source round
    was made (those dropped by then are left out, so a weight set without them matches)."""
    numbers = [int(n) for n in ((payload.get("provenance") or {}).get("round_numbers") or [])]
    gone = dropped_ids(study, upto=max(numbers) if numbers else None)
    return {n.code: (n.parent.code if n.parent is not None else None) for n in study.nodes if n.id not in gone}


def tree_of(evaluation: Evaluation) -> ev.WeightTree:
    return ev.WeightTree.from_dict(document_of(evaluation))


def settings_of(evaluation: Evaluation) -> dict:
    s = dict(evaluation.settings or {})
    s.setdefault("missing", "refuse")
    s.setdefault("bands", [dict(b) for b in ev.DEFAULT_BANDS])
    s.setdefault("scale", list(ev.DEFAULT_SCALE))
    return s


# --- writes ---------------------------------------------------------------------------------

def create_evaluation(study, *, weight_set_id: int, title: str, kind: str, purpose: str = "",
                      period_start: date | None = None, period_end: date | None = None) -> Evaluation:
    weight_set = db.session.get(WeightSet, weight_set_id)
    if weight_set is None or weight_set.study_id != study.id or getattr(weight_set, "is_withdrawn", False):
        raise EvaluationError(_("Choose a published weight set of this study."))
    title = (title or "").strip()
    if not title:
        raise EvaluationError(_("Give the evaluation a title."))
    if period_start and period_end and period_end < period_start:
        raise EvaluationError(_("The evaluation period ends before it starts."))
    try:
        ev.WeightTree.from_dict(weight_set.payload, hierarchy=_study_parents(study, weight_set.payload), partial=True)
    except ValueError as exc:
        raise EvaluationError(_("This weight set does not match the study's indicator system: %(reason)s",
                                reason=str(exc))) from None
    evaluation = Evaluation(study=study, weight_set=weight_set, title=title[:300], kind=EvaluationKind(kind),
                            purpose=purpose or "", period_start=period_start, period_end=period_end,
                            settings={"missing": "refuse", "bands": [dict(b) for b in ev.DEFAULT_BANDS],
                                      "scale": list(ev.DEFAULT_SCALE)})
    db.session.add(evaluation)
    db.session.flush()
    audit.record("evaluation.create", study=study, target=f"evaluation:{evaluation.id}",
                 details={"weight_set_version": weight_set.version, "checksum": weight_set.checksum})
    return evaluation


def _check_open(evaluation: Evaluation) -> None:
    if evaluation.is_finished:
        raise EvaluationError(_("This evaluation is finished; reopen it to change its data."))


def _clean_names(names) -> list[str]:
    out = []
    for raw in names:
        name = (raw or "").strip()
        if not name:
            continue
        if len(name) > MAX_NAME:
            raise EvaluationError(_("An object's name may have at most %(n)s characters.", n=MAX_NAME))
        out.append(name)
    return out


def add_objects(evaluation: Evaluation, names) -> list[EvaluatedObject]:
    """Add evaluated objects by name (one or a list); duplicates are refused, nothing is added then."""
    _check_open(evaluation)
    clean = _clean_names(names)
    if not clean:
        raise EvaluationError(_("Give at least one name."))
    existing = {o.name for o in evaluation.objects}
    dup = sorted({n for n in clean if n in existing or clean.count(n) > 1})
    if dup:
        raise EvaluationError(_("These names are already in the list: %(names)s", names=", ".join(dup)))
    if len(existing) + len(clean) > MAX_OBJECTS:
        raise EvaluationError(_("An evaluation has at most %(n)s objects.", n=MAX_OBJECTS))
    start = max((o.position for o in evaluation.objects), default=-1) + 1
    added = [EvaluatedObject(evaluation=evaluation, name=n, position=start + i) for i, n in enumerate(clean)]
    db.session.add_all(added)
    db.session.flush()
    audit.record("evaluation.objects_add", study=evaluation.study, target=f"evaluation:{evaluation.id}",
                 details={"names": clean})
    return added


def parse_scores_upload(filename: str, raw: bytes) -> dict:
    """``{object: {code: text or None}}`` from a CSV (UTF-8 with/without BOM, or GB18030) or XLSX file."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _parse_xlsx(raw)
    if not name.endswith(".csv"):
        raise EvaluationError(_("Upload a .csv or .xlsx file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise EvaluationError(_("The file is not UTF-8 text."))
    try:
        from evaluation.cli import read_scores_csv
        return read_scores_csv(text)
    except ValueError as exc:
        raise EvaluationError(_("The file could not be read: %(reason)s", reason=str(exc))) from None


def _parse_xlsx(raw: bytes) -> dict:
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the same refusal
        raise EvaluationError(_("The file is not a readable .xlsx workbook.")) from None
    rows = [["" if v is None else str(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    from evaluation.cli import read_scores_csv
    try:
        return read_scores_csv(buf.getvalue())
    except ValueError as exc:
        raise EvaluationError(_("The file could not be read: %(reason)s", reason=str(exc))) from None


@dataclass(frozen=True)
class ImportSummary:
    objects: int
    added: int
    values: int
    cleared: int


def import_scores(evaluation: Evaluation, table: dict, *, source: str = "upload") -> ImportSummary:
    """Store the scores of ``table``: every cell checked first; an empty cell clears that score.

    Objects of the file not yet listed are added. Refuses unknown codes, codes of indicators
    whose score is computed, values that are not numbers or off the scale — storing nothing.
    """
    _check_open(evaluation)
    tree = tree_of(evaluation)
    leaves = set(tree.leaves)
    low, high = settings_of(evaluation)["scale"]
    clean: dict[str, dict[str, float | None]] = {}
    for obj, row in table.items():
        name = _clean_names([obj])
        if not name:
            raise EvaluationError(_("A row has no object name."))
        cells = {}
        for code, value in row.items():
            if code not in leaves:
                if code in tree.codes:
                    raise EvaluationError(_("%(code)s is not scored directly: its score is computed from "
                                            "its sub-indicators.", code=code))
                raise EvaluationError(_("%(code)s is not an indicator of this weight set.", code=code))
            if value is None or (isinstance(value, str) and not value.strip()):
                cells[code] = None
                continue
            try:
                number = float(str(value).strip())
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise EvaluationError(_("%(object)s, %(code)s: “%(value)s” is not a number.",
                                        object=name[0], code=code, value=value))
            if not low <= number <= high:
                raise EvaluationError(_("%(object)s, %(code)s: %(value)s is off the scale %(low)s–%(high)s.",
                                        object=name[0], code=code, value=f"{number:g}", low=f"{low:g}",
                                        high=f"{high:g}"))
            cells[code] = number
        clean[name[0]] = cells
    by_name = {o.name: o for o in evaluation.objects}
    new = [n for n in clean if n not in by_name]
    if len(by_name) + len(new) > MAX_OBJECTS:
        raise EvaluationError(_("An evaluation has at most %(n)s objects.", n=MAX_OBJECTS))
    if new:
        for obj in add_objects(evaluation, new):
            by_name[obj.name] = obj
    values = cleared = 0
    for name, cells in clean.items():
        obj = by_name[name]
        current = {s.code: s for s in obj.scores}
        for code, number in cells.items():
            row = current.get(code)
            if number is None:
                if row is not None:
                    obj.scores.remove(row)
                    cleared += 1
                continue
            if row is None:
                obj.scores.append(EvaluationScore(code=code, value=number, source=source))
            else:
                row.value, row.source = number, source
            values += 1
    db.session.flush()
    audit.record("evaluation.scores_import", study=evaluation.study, target=f"evaluation:{evaluation.id}",
                 details={"objects": len(clean), "added": len(new), "values": values, "cleared": cleared})
    return ImportSummary(objects=len(clean), added=len(new), values=values, cleared=cleared)


def set_missing_policy(evaluation: Evaluation, missing: str) -> None:
    _check_open(evaluation)
    if missing not in MISSING_POLICIES:
        raise EvaluationError(_("Choose how missing scores are handled."))
    evaluation.settings = {**settings_of(evaluation), "missing": missing}
    db.session.flush()
    audit.record("evaluation.settings", study=evaluation.study, target=f"evaluation:{evaluation.id}",
                 details={"missing": missing})


def scores_table(evaluation: Evaluation) -> dict:
    """``{object name: {code: value}}`` for every object, in list order (objects without data: {})."""
    return {o.name: {s.code: s.value for s in o.scores} for o in evaluation.objects}


def template_csv(evaluation: Evaluation) -> bytes:
    """A CSV to fill in: one row per object (current values kept), one column per leaf code; UTF-8 with BOM."""
    tree = tree_of(evaluation)
    table = scores_table(evaluation)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_("object"), *tree.leaves])
    for name, row in table.items():
        writer.writerow([safe_cell(name), *("" if row.get(c) is None else f"{row[c]:g}" for c in tree.leaves)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class ResultsView:
    results: EvaluationResults | None
    without_data: list
    error: str
    samples: object = None          # WeightSamples behind the uncertainty, when there is one


def results_of(evaluation: Evaluation, *, with_uncertainty: bool = False) -> ResultsView:
    """Results of the objects with data; objects without any score are listed apart."""
    table = scores_table(evaluation)
    with_data = {k: v for k, v in table.items() if v}
    without = [k for k, v in table.items() if not v]
    if not with_data:
        return ResultsView(None, without, "")
    s = settings_of(evaluation)
    samples = None
    if with_uncertainty and not without and all(len(v) == len(tree_of(evaluation).leaves) for v in with_data.values()):
        samples = weight_samples(document_of(evaluation), tree_of(evaluation), evaluation.study_id)
    try:
        res = build_results(document_of(evaluation), with_data, bands=s["bands"], missing=s["missing"],
                            weight_samples=None if samples is None else samples.local)
    except ValueError as exc:
        text = str(exc)
        if "missing" in text and s["missing"] == "refuse":
            text = _("Some scores are missing. Complete them, or choose to re-weight over the indicators "
                     "with data (coverage is then reported).")
        return ResultsView(None, without, text)
    return ResultsView(res, without, "", samples)


def finish(evaluation: Evaluation) -> None:
    view = results_of(evaluation)
    if view.results is None:
        raise EvaluationError(view.error or _("There are no scores to evaluate yet."))
    try:
        evaluation.finish()
    except InvalidTransition:
        raise EvaluationError(_("This evaluation is already finished.")) from None
    evaluation.settings = settings_of(evaluation)        # frozen with the result
    db.session.flush()
    audit.record("evaluation.finish", study=evaluation.study, target=f"evaluation:{evaluation.id}")


def reopen(evaluation: Evaluation) -> None:
    try:
        evaluation.reopen()
    except InvalidTransition:
        raise EvaluationError(_("Only a finished evaluation can be reopened.")) from None
    db.session.flush()
    audit.record("evaluation.reopen", study=evaluation.study, target=f"evaluation:{evaluation.id}")


# --- the report (seed 5.2.9) ------------------------------------------------------------------

def update_report_contents(evaluation: Evaluation, *, evaluating_body: str, participants: str,
                           guidance: str, conclusions: str) -> None:
    """The coordinator's texts of the report; allowed after finishing (they are not data)."""
    evaluation.evaluating_body = evaluating_body or ""
    evaluation.participants = participants or ""
    evaluation.guidance = guidance or ""
    evaluation.conclusions = conclusions or ""
    db.session.flush()
    audit.record("evaluation.report_contents", study=evaluation.study, target=f"evaluation:{evaluation.id}")


def object_of(evaluation: Evaluation, object_id: int) -> EvaluatedObject | None:
    found = db.session.get(EvaluatedObject, object_id)
    return found if found is not None and found.evaluation_id == evaluation.id else None


def set_object_description(obj: EvaluatedObject, text: str) -> None:
    obj.description = text or ""
    db.session.flush()
    audit.record("evaluation.object_description", study=obj.evaluation.study,
                 target=f"evaluated_object:{obj.id}")


def panel_rows(evaluation: Evaluation) -> list:
    """The study's experts (not revoked) for the report: pseudonym, group, field, years, organisation."""
    return [e for e in evaluation.study.experts if not e.is_revoked]
