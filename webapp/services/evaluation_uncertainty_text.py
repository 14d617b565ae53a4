"""The uncertainty of an evaluation's grades and ranks, in words.

One source for the results page and the evaluation report (HTML, PDF and DOCX), so they state the
same method, the same number of samples and the same figures. The figures are those of
``EvaluationResults.uncertainty`` (``evaluation.uncertainty`` on the seeded weight samples of
``evaluation_uncertainty.weight_samples``); this module only formats them.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from webapp.services.evaluation_weights import method_label


@dataclass(frozen=True)
class UncertaintyLine:
    """One object's uncertainty as printed: T interval, rank interval, P(each grade), P(its grade or better)."""
    name: str
    interval: str          # "71.2 – 78.9" (5th–95th percentiles of T over the samples)
    ranks: str             # "1 – 2"
    grades: list           # ["★★★ 0.12", "★★★★ 0.88"]: grades with a probability above 0
    at_least: str          # "P(★★★★ or better) = 0.83" for the object's own grade


def method_sentence(samples) -> Markup:
    """Where the plausible weight sets come from, how many, and the seed (``WeightSamples``).

    The translated sentence is trusted text and its arguments are escaped (``Markup % args``), as
    Jinja's ``_()`` does, so the page prints exactly what the template used to.
    """
    args = dict(r=samples.round_number, k=samples.resamples, m=samples.experts, seed=samples.seed)
    if samples.source == "ahp":
        return Markup(_("The experts of AHP round %(r)s resampled with replacement (%(k)s resamples of %(m)s experts, "
                        "seed %(seed)s); each resample's group judgments give a plausible weight set (the round's "
                        "bootstrap over experts). Intervals: 5th–95th percentiles.")) % args
    if samples.source in ("g1", "bwm"):
        return Markup(_("The experts of weighting round %(r)s (%(method)s) resampled with replacement (%(k)s resamples "
                        "of %(m)s experts, seed %(seed)s); each resample's group weights are recomputed as they were "
                        "published: the weighted geometric mean of the drawn experts' own weights. Intervals: "
                        "5th–95th percentiles.")) % dict(args, method=samples.source.upper())
    if samples.source == "combined":
        return Markup(_("Combined weights: each resample of the subjective weight set (its experts of round %(r)s "
                        "resampled with replacement, %(k)s resamples of %(m)s experts, seed %(seed)s) is combined with "
                        "the objective weights (%(objective)s) using the published coefficients. The objective weights "
                        "come from the evaluation's data and are held fixed, so only the experts' part varies. "
                        "Intervals: 5th–95th percentiles.")) % dict(args, objective=method_label(samples.objective))
    return Markup(_("The experts of Delphi round %(r)s resampled with replacement (%(k)s resamples of %(m)s experts, "
                    "seed %(seed)s); each resample's mean ratings give a plausible weight set. Intervals: 5th–95th "
                    "percentiles.")) % args


def uncertainty_lines(res, *, only: str | None = None) -> list[UncertaintyLine]:
    """The printed lines of ``res.uncertainty`` in rank order (``only``: one object's line); [] without it."""
    if not res.uncertainty:
        return []
    out = []
    for row in res.rows:
        if only is not None and row.name != only:
            continue
        u = res.uncertainty[row.name]
        out.append(UncertaintyLine(
            name=row.name, interval=f"{u['interval'][0]:.1f} – {u['interval'][1]:.1f}",
            ranks=f"{u['ranks'][0]} – {u['ranks'][1]}",
            grades=[f"{'★' * s} {p:.2f}" for s, p in u["probability"].items() if p > 0],
            at_least=_("P(%(stars)s or better) = %(p)s", stars="★" * row.stars,
                       p=f"{u['at_least'][row.stars]:.2f}")))
    return out


def absent_reason(res, without_data) -> str:
    """Why no uncertainty is reported ("" when it is)."""
    if res is not None and res.uncertainty:
        return ""
    if without_data or res is None or any(r.missing for r in res.rows):
        return _("No uncertainty is reported: not every object has every score, so the plausible weight sets "
                        "cannot be applied to the same data.")
    return _("No uncertainty is reported: this weight set has no samples of plausible weights. They exist when "
             "the set was published from a closed round of experts (Delphi, AHP, G1 or BWM, whose experts are "
             "resampled) or combined from such a set.")
