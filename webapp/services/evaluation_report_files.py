"""The evaluation report as PDF (WeasyPrint, the same HTML as the page) and as DOCX (python-docx).

Both take the context the report page renders (``webapp.coordinator.evaluation_report``), so the three
formats show the same figures. WeasyPrint needs Debian's pango and the Noto CJK fonts (script/test).
"""
from __future__ import annotations

import io
from importlib import resources

from flask import render_template
from flask_babel import gettext as _

from webapp.services.report_docx import _fonts, _plain, _table
from webapp.templating import render_markdown


def _css() -> str:
    base = resources.files("webapp").joinpath("static/css")
    return "\n".join(base.joinpath(name).read_text(encoding="utf-8") for name in ("app.css", "evaluation.css")) + """
@page { size: A4; margin: 16mm 14mm; }
body.report-file { background: #fff; font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; font-size: 10pt; }
.report { padding: 0; max-width: none; }
.table-wrap { overflow: visible; }
"""


def render_pdf(ctx: dict) -> bytes:
    from weasyprint import CSS, HTML

    html = render_template("coordinator/evaluations/report_file.html", for_file=True, **ctx)
    return HTML(string=html, base_url=None).write_pdf(stylesheets=[CSS(string=_css())])


def _md(document, text: str) -> None:
    lines = _plain(render_markdown(text)) if text else []
    for line in lines or [_("(not given)")]:
        document.add_paragraph(line)


def _s(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def render_docx(ctx: dict) -> bytes:
    from docx import Document

    e, res, row, obj, names = ctx["evaluation"], ctx["res"], ctx["row"], ctx["obj"], ctx["names"]
    doc = Document()
    _fonts(doc)
    doc.add_paragraph(f"{_('Evaluation report')} · {ctx['kind_label'](e.kind)}")
    doc.add_heading(e.title, level=0)
    doc.add_paragraph(obj.name if obj else _("Summary of %(n)s evaluated objects", n=len(res.rows)))
    if row:
        doc.add_paragraph(f"{row.label}  T = {row.total:.2f}  " + _("rank %(r)s of %(n)s", r=row.rank, n=len(res.rows)))
    doc.add_heading("1. " + _("The evaluating body and the evaluated party"), level=1)
    doc.add_heading(_("Evaluating body"), level=2)
    _md(doc, e.evaluating_body)
    doc.add_heading(_("Evaluated party"), level=2)
    if obj:
        doc.add_paragraph(obj.name)
        _md(doc, obj.description)
    else:
        for r in res.rows:
            doc.add_paragraph(r.name, style="List Bullet")
    doc.add_heading(_("Participants and their qualifications"), level=2)
    _md(doc, e.participants)
    doc.add_heading(_("The expert panel behind the weights"), level=2)
    _table(doc, [_("Expert number"), _("Group"), _("Field"), _("Years"), _("Organisation")],
           [[x.pseudonym, ctx["group_label"](x.group), x.field, x.years_experience, x.organisation]
            for x in ctx["panel"]], numeric_from=99)
    doc.add_heading("2. " + _("Objective"), level=1)
    _md(doc, e.purpose)
    doc.add_heading("3. " + _("Content and methods"), level=1)
    ws = e.weight_set
    for line in (_("Model (seed 5.2.5): T_i = Σ indicator score × indicator weight within element i; T = Σ T_i · S_i."),
                 _("Weights: published weight set, version %(v)s (%(date)s), checksum %(sum)s.", v=ws.version,
                   date=ws.published_at.strftime("%Y-%m-%d %H:%M UTC"), sum=ws.checksum[:16]),
                 _("Scores on %(low)s–%(high)s; stars:", low=int(ctx["settings"]["scale"][0]),
                   high=int(ctx["settings"]["scale"][1])) + " "
                 + ", ".join(f"{b['stars']}★ ≥ {b['min']:g}" for b in res.bands),
                 _("Missing scores: re-weighted over the indicators with data in each group; coverage reported.")
                 if res.missing_policy == "reweight" else _("Missing scores: refused (every object has every score).")):
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("4. " + _("Scores of the four elements and of every indicator"), level=1)
    if row:
        scores = res.node_scores[row.name]
        _table(doc, [_("Indicator"), _("Local weight"), _("Global weight"), _("Score")],
               [["T", "", "1", _s(row.total)]]
               + [[f"{'  ' * (n['level'] - 1)}{n['code']} {names[n['code']]}", f"{n['local']:.4f}",
                   f"{n['global']:.4f}", _s(scores[n['code']])] for n in res.nodes])
    else:
        _table(doc, [_("Rank"), _("Object"), "T", *res.elements, _("Stars")],
               [[r.rank, r.name, _s(r.total), *(_s(x["score"]) for x in r.elements), r.label] for r in res.rows],
               numeric_from=2)
        doc.add_paragraph("")
        _table(doc, [_("Indicator"), _("Global weight"), *(r.name for r in res.rows)],
               [[f"{n['code']} {names[n['code']]}", f"{n['global']:.4f}",
                 *(_s(res.node_scores[r.name][n['code']]) for r in res.rows)] for n in res.nodes])
    doc.add_heading(_("Uncertainty of the grades and ranks"), level=2)
    if ctx["uncertainty"]:
        doc.add_paragraph(ctx["uncertainty_method"])
        _table(doc, [_("Object"), _("T interval"), _("Rank interval"), _("Probability of each grade")],
               [[u.name, u.interval, u.ranks, " · ".join(u.grades) + "\n" + u.at_least] for u in ctx["uncertainty"]])
    else:
        doc.add_paragraph(ctx["uncertainty_absent"])
    doc.add_heading("5. " + _("Guidance of the experts and the evaluating body"), level=1)
    _md(doc, e.guidance)
    doc.add_heading("6. " + _("Evaluation time"), level=1)
    when = []
    if e.period_start or e.period_end:
        when.append(_("period %(a)s – %(b)s", a=e.period_start or "…", b=e.period_end or "…"))
    when.append(_("report generated %(date)s", date=ctx["generated_at"].strftime("%Y-%m-%d %H:%M UTC")))
    doc.add_paragraph("; ".join(when))
    doc.add_heading("7. " + _("Conclusions and recommendations"), level=1)
    _md(doc, e.conclusions)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
