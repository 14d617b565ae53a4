"""Study settings pages: title and language, the consensus rule, the analysis options
(stability and feedback minimums) and the authority tables.

Views are thin: parse a form, call one service, commit once, flash, redirect.
Changes are refused while a round is open (the service says why).
"""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

import delphi
from webapp import presentation
from webapp.actions import act, save_form
from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.forms.coordinator import StudyForm
from webapp.forms.setup import AnalysisOptionsForm, AuthorityTablesForm, ConsensusRuleForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import studies
from webapp.services.studies import StudyError

# --- settings ---------------------------------------------------------------------------------

def _preset_choices():
    titles = {"cn-standard": _("Chinese screening rule (fixed thresholds)"),
              "iqr-agreement": _("IQR and agreement"), "agreement-75": _("Agreement 75%"),
              "comet": _("COMET (agreement on 7–9)")}
    names = sorted(delphi.ConsensusRule.presets(), key=lambda n: (n != studies.DEFAULT_CONSENSUS_PRESET, n))
    return [(name, _("%(title)s: %(rule)s", title=titles.get(name, name),
                     rule=presentation.rule_in_words(delphi.ConsensusRule.preset(name))))
            for name in names]


def _render_settings(study, *, general=None, consensus=None, analysis=None, authority=None, status=200):
    rule = studies.consensus_rule_of(study)
    basis, familiarity = studies.authority_tables_of(study)
    if general is None:
        general = StudyForm(title=study.title, description=study.description,
                            default_locale=study.default_locale, time_zone=study.time_zone)
    if consensus is None:
        consensus = ConsensusRuleForm(data=ConsensusRuleForm.data_for(rule), presets=_preset_choices())
    if authority is None:
        authority = AuthorityTablesForm(data=AuthorityTablesForm.data_for(basis, familiarity))
    if analysis is None:
        analysis = AnalysisOptionsForm(data={"min_paired": study.min_paired,
                                             "min_feedback_respondents": study.min_feedback_respondents})
    return render_template(
        "coordinator/setup/settings.html", study=study, general=general, consensus=consensus,
        authority=authority, analysis=analysis, rule=rule, rule_text=presentation.rule_in_words(rule),
        rule_is_default=not study.consensus_rule, preset_sources=delphi.PRESET_SOURCES,
        tables_default=studies.authority_tables_are_default(study),
        basis_source=delphi.BASIS_TABLE_SOURCE, familiarity_source=delphi.FAMILIARITY_SCALE_SOURCE,
        source_labels=presentation.basis_source_labels(), level_labels=presentation.basis_level_labels(),
        familiarity_labels=presentation.familiarity_labels(),
    ), status


@bp.route("/<int:study_id>/settings", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def settings(study_id: int):
    study = get_study_or_404(study_id)
    if request.method == "GET":
        return _render_settings(study)
    form = StudyForm(request.form)
    return save_form(form, lambda: studies.update_study(
        study, title=form.title.data, description=form.description.data or "",
        default_locale=form.default_locale.data, time_zone=form.time_zone.data or None),
        refusals=(StudyError,), error_field=form.title, done=_("Study settings saved."),
        to=url_for("coordinator.settings", study_id=study.id)) or _render_settings(study, general=form, status=400)


@bp.route("/<int:study_id>/settings/consensus", methods=["POST"])
@keeps_data_on_csrf_failure
def settings_consensus(study_id: int):
    study = get_study_or_404(study_id)
    form = ConsensusRuleForm(request.form, presets=_preset_choices())
    return save_form(form, lambda: studies.set_consensus_rule(study, **form.rule_data()),
                     refusals=(StudyError,), error_field=form.mode,
                     done=lambda rule: _("Consensus rule saved: %(rule)s.", rule=presentation.rule_in_words(rule)),
                     to=url_for("coordinator.settings", study_id=study.id, _anchor="consensus")
                     ) or _render_settings(study, consensus=form, status=400)


@bp.route("/<int:study_id>/settings/analysis", methods=["POST"])
@keeps_data_on_csrf_failure
def settings_analysis(study_id: int):
    study = get_study_or_404(study_id)
    form = AnalysisOptionsForm(request.form)
    return save_form(form, lambda: studies.set_analysis_options(study, **form.options()), refusals=(StudyError,),
                     done=_("Analysis options saved; rounds opened from now on use them."),
                     to=url_for("coordinator.settings", study_id=study.id, _anchor="analysis")
                     ) or _render_settings(study, analysis=form, status=400)


@bp.route("/<int:study_id>/settings/authority", methods=["POST"])
@keeps_data_on_csrf_failure
def settings_authority(study_id: int):
    study = get_study_or_404(study_id)
    form = AuthorityTablesForm(request.form)

    def save():
        basis, familiarity = form.tables()
        return studies.set_authority_tables(study, basis=basis, familiarity=familiarity)

    return save_form(form, save, refusals=(StudyError,), done=_("Authority tables saved."),
                     to=url_for("coordinator.settings", study_id=study.id, _anchor="authority")
                     ) or _render_settings(study, authority=form, status=400)


@bp.route("/<int:study_id>/settings/authority/reset", methods=["POST"])
def settings_authority_reset(study_id: int):
    study = get_study_or_404(study_id)
    return act(lambda: studies.set_authority_tables(study, basis=None, familiarity=None), refusals=(StudyError,),
               to=url_for("coordinator.settings", study_id=study.id, _anchor="authority"),
               done=_("The default authority tables are in use again."))
