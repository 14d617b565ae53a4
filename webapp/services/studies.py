"""Studies, their indicator trees and their panels."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select

import delphi
from webapp.extensions import db
from webapp.models import (
    BASIS_LEVELS,
    BASIS_SOURCES,
    FAMILIARITY_LEVELS,
    Expert,
    Judgment,
    Node,
    Rating,
    Response,
    Round,
    RoundStatus,
    Study,
    StudyStatus,
    User,
)
from webapp import presentation
from webapp.services import audit, groups, round_settings, timezones
from webapp.services.hierarchy_io import HierarchyError, ParsedNode


class StudyError(ValueError):
    """A refused change to a study; the message is shown to the coordinator."""


def studies_of(user: User) -> list[Study]:
    return list(db.session.scalars(
        select(Study).where(Study.owner_id == user.id).order_by(Study.created_at.desc())))


def owned_study(user: User, study_id: int) -> Study | None:
    """The study if ``user`` owns it; None otherwise (the view answers 404)."""
    return db.session.scalar(select(Study).where(Study.id == study_id, Study.owner_id == user.id))


def create_study(owner: User, *, title: str, description: str = "", default_locale: str = "zh",
                 time_zone: str | None = None) -> Study:
    """A draft study. Its time zone: ``time_zone`` (the coordinator's browser's, when the
    form has it), else Asia/Shanghai for a Chinese study, else UTC."""
    if time_zone:
        try:
            time_zone = timezones.check_zone(time_zone)
        except timezones.TimeZoneError as exc:
            raise StudyError(str(exc)) from exc
    study = Study(owner=owner, title=title.strip(), description=description, default_locale=default_locale,
                  status=StudyStatus.draft,
                  time_zone=time_zone or ("Asia/Shanghai" if default_locale == "zh" else "UTC"))
    db.session.add(study)
    db.session.flush()
    groups.create_defaults(study)
    audit.record("study.create", study=study, target=f"study:{study.id}")
    return study


def has_answers(study: Study) -> bool:
    """Any rating or pairwise judgment stored in any round of the study (drafts included)."""
    in_study = and_(Response.round_id == Round.id, Round.study_id == study.id)
    return bool(db.session.scalar(select(exists().where(Rating.response_id == Response.id, in_study)))
                or db.session.scalar(select(exists().where(Judgment.response_id == Response.id, in_study))))


def import_hierarchy(study: Study, root: ParsedNode) -> int:
    """Replace the study's indicator tree. Refused once any round has answers."""
    if has_answers(study):
        raise HierarchyError(_("The hierarchy cannot be replaced: a round already has answers."))
    if any(r.items for r in study.rounds):
        raise HierarchyError(_("The hierarchy cannot be replaced while rounds refer to it; "
                               "delete the draft rounds first."))
    for node in list(study.nodes):
        if node.parent_id is None:
            db.session.delete(node)  # children cascade
    db.session.flush()
    study.nodes.clear()
    count = 0

    def add(parsed: ParsedNode, parent: Node | None, position: int) -> None:
        nonlocal count
        node = Node(study=study, parent=parent, code=parsed.code, name_zh=parsed.name_zh,
                    name_en=parsed.name_en, description_zh=parsed.description_zh,
                    description_en=parsed.description_en, position=position)
        db.session.add(node)
        count += 1
        for i, child in enumerate(parsed.children):
            add(child, node, i)

    add(root, None, 0)
    db.session.flush()
    audit.record("hierarchy.import", study=study, details={"nodes": count, "root": root.code})
    return count


def next_pseudonym(study: Study) -> str:
    """E01, E02 … (E100 after E99); never reuses a pseudonym within a study."""
    existing = db.session.scalars(select(Expert.pseudonym).where(Expert.study_id == study.id)).all()
    numbers = [int(p[1:]) for p in existing if p.startswith("E") and p[1:].isdigit()]
    n = max(numbers, default=0) + 1
    return f"E{n:02d}"


@dataclass
class Invitation:
    expert: Expert
    token: str


def add_expert(study: Study, *, name: str = "", email: str | None = None, organisation: str = "",
               pseudonym: str | None = None, **profile) -> Invitation:
    """A new expert with a link; ``stakeholder_group``: one of the study's groups (or its code)."""
    if "stakeholder_group" in profile:
        profile["group"] = groups.resolve(study, profile.pop("stakeholder_group"))
    expert = Expert(study=study, pseudonym=pseudonym or next_pseudonym(study), name=name.strip(),
                    email=(email or "").strip() or None, organisation=organisation.strip(), **profile)
    db.session.add(expert)
    db.session.flush()  # the link is derived from the expert's id
    token = expert.issue_token()
    db.session.flush()
    audit.record("expert.invite", study=study, target=f"expert:{expert.pseudonym}")
    return Invitation(expert, token)


def reissue_link(expert: Expert) -> str:
    token = expert.issue_token()
    audit.record("expert.reissue_link", study=expert.study, target=f"expert:{expert.pseudonym}")
    return token


def revoke_link(expert: Expert) -> None:
    expert.revoke()
    audit.record("expert.revoke_link", study=expert.study, target=f"expert:{expert.pseudonym}")


def node_count(study: Study) -> int:
    return db.session.scalar(select(func.count(Node.id)).where(Node.study_id == study.id))


# --- set-up: study settings, consensus rule, authority tables ---------------------------
# The study's analysis settings are copied onto each round when it opens
# (services/round_settings.py); they can change only while no round is open, and a
# change applies to rounds opened later.

DEFAULT_CONSENSUS_PRESET = round_settings.DEFAULT_CONSENSUS_PRESET


def refuse_while_a_round_is_open(study: Study) -> None:
    """Analysis settings are frozen onto a round when it opens: refuse to change them meanwhile."""
    number = db.session.scalar(select(Round.number).where(Round.study_id == study.id,
                                                          Round.status == RoundStatus.open))
    if number is not None:
        raise StudyError(_("Round %(n)s is open and uses the current settings: close it first. "
                           "A change applies to the rounds opened after it.", n=number))


def update_study(study: Study, *, title: str, description: str = "", default_locale: str = "zh",
                 time_zone: str | None = None) -> None:
    title = (title or "").strip()
    if not title:
        raise StudyError(_("The title cannot be empty."))
    if default_locale not in ("en", "zh"):
        raise StudyError(_("Choose English or Chinese as the experts' default language."))
    if time_zone:
        try:
            study.time_zone = timezones.check_zone(time_zone)
        except timezones.TimeZoneError as exc:
            raise StudyError(str(exc)) from exc
    study.title = title[:300]
    study.description = description or ""
    study.default_locale = default_locale
    db.session.flush()
    audit.record("study.update", study=study, target=f"study:{study.id}")


def consensus_rule_of(study: Study) -> "delphi.ConsensusRule":
    """The study's consensus rule for rounds opened from now on; "cn-standard" while none is chosen."""
    return round_settings.study_rule(study)


def set_consensus_rule(study: Study, *, preset: str | None = None, thresholds: dict | None = None,
                       strict=(), combine: str = "all", scale=None,
                       agree_at: float | None = None) -> "delphi.ConsensusRule":
    """Store a preset (by name) or a custom rule (``thresholds`` {criterion: value}).

    Shares (agreement_min, full_score_min) are in [0, 1]. ``agree_at`` (custom rules):
    the rating from which an answer counts as "agree"; None for the top two points
    (presets set it as their source does). Refused input raises StudyError with a
    message for the coordinator; nothing is stored then.
    """
    refuse_while_a_round_is_open(study)
    try:
        if preset:
            if preset not in delphi.ConsensusRule.presets():
                raise StudyError(_("Unknown consensus rule %(name)s.", name=preset))
            rule = delphi.ConsensusRule.preset(preset)
        else:
            thresholds = {k: v for k, v in (thresholds or {}).items() if v is not None}
            if not thresholds:
                raise StudyError(_("Set at least one threshold for a custom consensus rule."))
            for name, value in thresholds.items():
                if name not in delphi.CRITERIA:
                    raise StudyError(_("Unknown criterion %(name)s.", name=name))
                if name in ("agreement_min", "full_score_min") and not 0 <= value <= 1:
                    raise StudyError(_("%(criterion)s must be between 0%% and 100%%.",
                                       criterion=presentation.criterion_label(name)))
                if name in ("iqr_max", "cv_max") and value < 0:
                    raise StudyError(_("%(criterion)s cannot be negative.", criterion=presentation.criterion_label(name)))
            rule = delphi.ConsensusRule(
                **thresholds, strict=tuple(s for s in strict if s in thresholds), combine=combine,
                scale=tuple(scale) if scale else None, name="custom", agree_at=agree_at)
    except ValueError as exc:
        if isinstance(exc, StudyError):
            raise
        raise StudyError(_("The consensus rule was refused: %(reason)s", reason=str(exc))) from exc
    study.consensus_rule = rule.to_dict()
    db.session.flush()
    audit.record("study.consensus_rule", study=study, details=rule.to_dict())
    return rule


def authority_tables_of(study: Study) -> tuple[dict, dict]:
    """(basis_table, familiarity_scale) for the authority coefficient Cr; defaults when unset."""
    return round_settings.study_authority_tables(study)


def authority_tables_are_default(study: Study) -> bool:
    basis, familiarity = authority_tables_of(study)
    return (basis == delphi.check_basis_table(delphi.DEFAULT_BASIS_TABLE)
            and familiarity == delphi.check_familiarity_scale(delphi.DEFAULT_FAMILIARITY_SCALE))


def set_authority_tables(study: Study, *, basis: dict | None, familiarity: dict | None) -> None:
    """Store the judgment-basis table and familiarity scale; None for both restores the defaults.

    The sources (practice, theory, literature, intuition), levels (high, medium,
    low) and familiarity labels are fixed: expert profiles are written with them.
    """
    refuse_while_a_round_is_open(study)
    if basis is None and familiarity is None:
        study.authority_tables = None
        db.session.flush()
        audit.record("study.authority_tables", study=study, details={"default": True})
        return
    if set(basis or {}) != set(BASIS_SOURCES) or any(
            set(row) != set(BASIS_LEVELS) for row in (basis or {}).values()):
        raise StudyError(_("The judgment-basis table needs a weight for every source and level."))
    if set(familiarity or {}) != set(FAMILIARITY_LEVELS):
        raise StudyError(_("The familiarity scale needs a weight for every level."))
    top = sum(max(row.values()) for row in basis.values())
    if top > 1 + 1e-9:
        raise StudyError(_("The highest weights of the four sources add up to %(sum)s; they may add up "
                           "to at most 1 so that Ca stays between 0 and 1.", sum=f"{top:g}"))
    try:
        tables = {"basis": delphi.check_basis_table(basis),
                  "familiarity": delphi.check_familiarity_scale(familiarity)}
    except ValueError as exc:
        raise StudyError(_("The authority tables were refused: %(reason)s", reason=str(exc))) from exc
    study.authority_tables = tables
    db.session.flush()
    audit.record("study.authority_tables", study=study, details=tables)


ANALYSIS_LIMITS = {"min_paired": (2, 100), "min_feedback_respondents": (2, 100)}


def set_analysis_options(study: Study, *, min_paired: int, min_feedback_respondents: int) -> None:
    """The paired experts needed before an item may be called stable, and the answers an item
    needs before experts see the group's result. Frozen onto each round when it opens, so
    refused while a round is open; audited."""
    refuse_while_a_round_is_open(study)
    values = {"min_paired": min_paired, "min_feedback_respondents": min_feedback_respondents}
    labels = {"min_paired": _("Paired experts needed to judge stability"),
              "min_feedback_respondents": _("Answers needed before experts see the group's result")}
    for name, value in values.items():
        low, high = ANALYSIS_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise StudyError(_("%(setting)s must be a whole number from %(low)s to %(high)s.",
                               setting=labels[name], low=low, high=high))
    study.min_paired, study.min_feedback_respondents = min_paired, min_feedback_respondents
    db.session.flush()
    audit.record("study.analysis_options", study=study, details=values)
