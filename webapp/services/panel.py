"""The expert panel: adding experts (one, or a pasted/uploaded list), reissuing and
revoking links, contact details and the profile that feeds the authority coefficient Cr.

Links are re-displayable (``webapp/services/invitations.py``)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

import delphi
from webapp.extensions import db
from webapp.presentation import basis_source_labels
from webapp.models import (
    BASIS_LEVELS,
    BASIS_SOURCES,
    FAMILIARITY_LEVELS,
    Expert,
    Study,
)
from webapp.services import audit, groups, profile_labels, studies
from webapp.services.studies import Invitation

MAX_LIST_LINES = 500
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class PanelError(ValueError):
    """A refused change to the panel; the message is shown to the coordinator."""


# --- reading -------------------------------------------------------------------------

def expert_of(study: Study, expert_id: int) -> Expert | None:
    """The expert if they belong to ``study``; None otherwise (the view answers 404)."""
    return db.session.scalar(select(Expert).where(Expert.id == expert_id, Expert.study_id == study.id))


def experts_of(study: Study) -> list[Expert]:
    experts = db.session.scalars(select(Expert).where(Expert.study_id == study.id)).all()
    return sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym))


PROFILE_ITEMS = ("field", "years_experience", "stakeholder_group", "familiarity", "basis")
DESCRIPTIVE = tuple(profile_labels.FIELDS)  # 职称, 学历, age band, organisation type: optional, counted only


def profile_missing(expert: Expert) -> list[str]:
    """The profile items still empty, as names from PROFILE_ITEMS."""
    missing = []
    for item in PROFILE_ITEMS:
        value = expert.group_id if item == "stakeholder_group" else getattr(expert, item)
        if item == "basis":
            if not (isinstance(value, dict) and set(value) >= set(BASIS_SOURCES)):
                missing.append(item)
        elif value is None or value == "":
            missing.append(item)
    return missing


def profile_completeness(expert: Expert) -> tuple[int, int]:
    return len(PROFILE_ITEMS) - len(profile_missing(expert)), len(PROFILE_ITEMS)


def authority_ready(expert: Expert) -> bool:
    """Familiarity and a full judgment basis: enough for Cr."""
    missing = profile_missing(expert)
    return "familiarity" not in missing and "basis" not in missing


def authority_of(expert: Expert, study: Study) -> dict | None:
    """{"ca", "cs", "cr"} with the study's tables, or None while the profile lacks them."""
    if not authority_ready(expert):
        return None
    basis_table, familiarity_scale = studies.authority_tables_of(study)
    result = delphi.authority([expert.basis], [expert.familiarity], basis_table=basis_table,
                              familiarity_scale=familiarity_scale)
    return {"ca": float(result.ca[0]), "cs": float(result.cs[0]), "cr": float(result.cr[0]),
            "acceptable": bool(result.expert_acceptable[0]), "threshold": float(result.threshold)}


def panel_summary(study: Study) -> dict:
    experts = experts_of(study)
    return {
        "experts": len(experts),
        "active_links": sum(1 for e in experts if not e.is_revoked),
        "profiles_ready": sum(1 for e in experts if authority_ready(e)),
        "seen": sum(1 for e in experts if e.last_seen_at is not None),
    }


# --- invitation links (shown, downloaded and printed by services/invitations.py) ------------

def reissue(expert: Expert) -> str:
    """The next link generation: the previous link is refused from now on."""
    token = studies.reissue_link(expert)
    db.session.flush()
    return token


def revoke(expert: Expert) -> None:
    if expert.is_revoked:
        raise PanelError(_("The link of %(pseudonym)s is already revoked.", pseudonym=expert.pseudonym))
    studies.revoke_link(expert)
    db.session.flush()


# --- adding experts ------------------------------------------------------------------

def check_contact(name: str, email: str | None, organisation: str, where: str) -> None:
    if not name:
        raise PanelError(_("%(where)s: the name is missing.", where=where))
    if len(name) > 200:
        raise PanelError(_("%(where)s: the name is longer than 200 characters.", where=where))
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        raise PanelError(_("%(where)s: %(email)s is not an e-mail address.", where=where, email=email[:60]))
    if len(organisation) > 300:
        raise PanelError(_("%(where)s: the organisation is longer than 300 characters.", where=where))


def _email_owner(study: Study, email: str | None, exclude: Expert | None = None) -> Expert | None:
    if not email:
        return None
    query = select(Expert).where(Expert.study_id == study.id, func.lower(Expert.email) == email.lower())
    if exclude is not None and exclude.id is not None:
        query = query.where(Expert.id != exclude.id)
    return db.session.scalar(query)


def add_experts(study: Study, entries: list) -> list[Invitation]:
    """Add a parsed list (``panel_lists.parse_expert_list``): all or nothing. An e-mail
    already on the panel is refused; the group column names one of the study's groups."""
    for entry in entries:
        if entry.group is not None and entry.group.study_id != study.id:
            raise PanelError(_("Line %(line)s: that stakeholder group belongs to another study.", line=entry.line))
        owner = _email_owner(study, entry.email)
        if owner is not None:
            raise PanelError(_("Line %(line)s: %(email)s is already on the panel (%(pseudonym)s).",
                               line=entry.line, email=entry.email, pseudonym=owner.pseudonym))
    invitations = [studies.add_expert(study, name=entry.name, email=entry.email,
                                      organisation=entry.organisation, stakeholder_group=entry.group)
                   for entry in entries]
    db.session.flush()
    return invitations


def add_one(study: Study, *, name: str, email: str | None = None, organisation: str = "",
            stakeholder_group: str | None = None) -> Invitation:
    name, organisation = (name or "").strip(), (organisation or "").strip()
    email = (email or "").strip() or None
    check_contact(name, email, organisation, _("New expert"))
    owner = _email_owner(study, email)
    if owner is not None:
        raise PanelError(_("%(email)s is already on the panel (%(pseudonym)s).",
                           email=email, pseudonym=owner.pseudonym))
    try:
        group = groups.resolve(study, stakeholder_group)
    except groups.GroupError as exc:
        raise PanelError(str(exc)) from exc
    invitation = studies.add_expert(study, name=name, email=email, organisation=organisation,
                                    stakeholder_group=group)
    db.session.flush()
    return invitation


def update_contact(expert: Expert, *, name: str, email: str | None = None, organisation: str = "") -> None:
    name, organisation = (name or "").strip(), (organisation or "").strip()
    email = (email or "").strip() or None
    check_contact(name, email, organisation, expert.pseudonym)
    owner = _email_owner(expert.study, email, exclude=expert)
    if owner is not None:
        raise PanelError(_("%(email)s is already on the panel (%(pseudonym)s).",
                           email=email, pseudonym=owner.pseudonym))
    expert.name, expert.email, expert.organisation = name, email, organisation
    db.session.flush()
    audit.record("expert.contact", study=expert.study, target=f"expert:{expert.pseudonym}")


# --- profile (feeds the authority coefficient) -----------------------------------------

def profile_of(expert: Expert) -> dict:
    """The profile as ``update_profile`` takes it (and ``ExpertProfileForm`` shows it)."""
    return {
        "field": expert.field or "",
        "years_experience": expert.years_experience,
        "stakeholder_group": expert.group_code,
        "familiarity": expert.familiarity,
        "basis": dict(expert.basis) if expert.basis else None,
        **{key: getattr(expert, key) for key in DESCRIPTIVE},
    }


def update_profile(expert: Expert, data: dict, *, by_expert: bool = False) -> None:
    """Set the profile items present in ``data``:

    field (text), years_experience (0–80 or None), stakeholder_group (one of the
    study's groups, or its code, or None), familiarity (very/familiar/moderate/little/
    unfamiliar or None), basis ({practice|theory|literature|intuition: high|medium|low}
    with all four sources, or None). ``by_expert`` records the expert as the actor.
    """
    where = expert.pseudonym
    changes = {}
    if "field" in data:
        field = (data["field"] or "").strip()
        if len(field) > 200:
            raise PanelError(_("%(where)s: the field is longer than 200 characters.", where=where))
        changes["field"] = field
    if "years_experience" in data:
        years = data["years_experience"]
        if years in ("", None):
            years = None
        else:
            try:
                years = int(years)
            except (TypeError, ValueError):
                raise PanelError(_("Years of experience must be a whole number.")) from None
            if not 0 <= years <= 80:
                raise PanelError(_("Years of experience must be between 0 and 80."))
        changes["years_experience"] = years
    if "stakeholder_group" in data:
        try:
            changes["group"] = groups.resolve(expert.study, data["stakeholder_group"] or None)
        except groups.GroupError as exc:
            raise PanelError(str(exc)) from exc
    if "familiarity" in data:
        familiarity = data["familiarity"] or None
        if familiarity is not None and familiarity not in FAMILIARITY_LEVELS:
            raise PanelError(_("Unknown familiarity %(value)s.", value=str(familiarity)[:40]))
        changes["familiarity"] = familiarity
    if "basis" in data:
        basis = data["basis"] or None
        if basis is not None:
            basis = {source: level for source, level in basis.items() if level}
            if not basis:
                basis = None
            else:
                unknown = [s for s in basis if s not in BASIS_SOURCES]
                if unknown:
                    raise PanelError(_("Unknown judgment basis %(value)s.", value=str(unknown[0])[:40]))
                missing = [s for s in BASIS_SOURCES if s not in basis]
                if missing:
                    raise PanelError(_("Judgment basis: give the influence of every source (missing: "
                                       "%(sources)s).", sources=", ".join(
                                           basis_source_labels()[s] for s in missing)))
                bad = [level for level in basis.values() if level not in BASIS_LEVELS]
                if bad:
                    raise PanelError(_("Unknown influence level %(value)s.", value=str(bad[0])[:40]))
        changes["basis"] = basis
    for key, (codes, _labels) in profile_labels.FIELDS.items():
        if key in data:
            value = data[key] or None
            if value is not None and value not in codes:
                raise PanelError(_("Unknown value %(value)s.", value=str(value)[:40]))
            changes[key] = value
    for key, value in changes.items():
        setattr(expert, key, value)
    db.session.flush()
    audit.record("expert.profile", study=expert.study, target=f"expert:{expert.pseudonym}",
                 expert=expert if by_expert else None)
