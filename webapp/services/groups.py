"""Stakeholder groups (专家类别) defined per study: the coordinator adds, renames, reorders
and deletes them (a group in use cannot be deleted); every page, export and report that
shows or counts groups reads them from here, named in the page's language.

A new study starts with ``DEFAULT_GROUPS``, a general set the coordinator edits.
Refusals raise ``GroupError`` (a translated message) before anything is written.
"""
from __future__ import annotations

import re

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Expert, Study, StudyGroup
from webapp.services import audit

# code, name_zh, name_en: the groups a new study starts with (the coordinator edits them).
DEFAULT_GROUPS = (
    ("regulator", "政府及监管部门", "Government and regulators"),
    ("enterprise", "企业", "Industry"),
    ("academia", "高校及科研院所", "Academia and research institutes"),
    ("practice", "一线从业人员", "Practitioners"),
    ("other", "其他", "Other"),
)
# The key under which experts without a group are counted (codes start with a letter or digit).
NO_GROUP = "_none"
MAX_GROUPS = 30
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Other spellings of common groups in a pasted panel list (lower-cased) → code, used when
# the study has a group with that code.
_ALIASES = {
    "regulators": "regulator", "监管部门": "regulator", "监管": "regulator", "政府": "regulator",
    "government": "regulator", "平台": "platform", "company": "enterprise", "industry": "enterprise",
    "企业": "enterprise", "academic": "academia", "高校": "academia", "科研院所": "academia",
    "高校/科研院所": "academia", "university": "academia", "research": "academia", "其它": "other",
}


class GroupError(ValueError):
    """A refused change to a study's groups; the message is shown to the coordinator."""


# --- reading -------------------------------------------------------------------------

def groups_of(study: Study) -> list[StudyGroup]:
    return list(db.session.scalars(
        select(StudyGroup).where(StudyGroup.study_id == study.id).order_by(StudyGroup.position, StudyGroup.id)))


def group_of(study: Study, group_id: int) -> StudyGroup | None:
    """The group if it belongs to ``study``; None otherwise (the view answers 404)."""
    return db.session.scalar(select(StudyGroup).where(StudyGroup.id == group_id, StudyGroup.study_id == study.id))


def usage(study: Study) -> dict[int, int]:
    """Experts per group id (groups without experts are absent)."""
    rows = db.session.execute(select(Expert.group_id, func.count(Expert.id)).where(
        Expert.study_id == study.id, Expert.group_id.is_not(None)).group_by(Expert.group_id)).all()
    return {group_id: n for group_id, n in rows}


def _locale(locale: str | None) -> str:
    return locale or str(get_locale() or "zh")


def group_label(group: StudyGroup | None, locale: str | None = None) -> str:
    """The group's name in the page language; "No group" for an expert without one."""
    return group.name(_locale(locale)) if group is not None else _("No group")


def labels(study: Study, locale: str | None = None) -> dict[str, str]:
    """Code → name in the page language, in the study's order, then ``NO_GROUP``."""
    locale = _locale(locale)
    return {**{g.code: g.name(locale) for g in groups_of(study)}, NO_GROUP: _("No group")}


def key_of(expert: Expert) -> str:
    """The key an expert is counted under: the group's code, or ``NO_GROUP``."""
    return expert.group_code or NO_GROUP


def choices_of(study: Study, locale: str | None = None) -> list[tuple[str, str]]:
    locale = _locale(locale)
    return [(g.code, g.name(locale)) for g in groups_of(study)]


def match(study: Study, text: str, known: list[StudyGroup] | None = None) -> StudyGroup | None:
    """The group a typed cell names: its code, either name (any case) or a common alias.
    ``known``: the study's groups when the caller has them already (a list of many lines)."""
    key = (text or "").strip().lower()
    if not key:
        return None
    groups = known if known is not None else groups_of(study)
    for group in groups:
        if key in (group.code, group.name_zh.strip().lower(), group.name_en.strip().lower()):
            return group
    alias = _ALIASES.get(key)
    return next((g for g in groups if g.code == alias), None)


def resolve(study: Study, value) -> StudyGroup | None:
    """A group given as a ``StudyGroup`` or a code (None or "" for no group), checked to
    belong to ``study``."""
    if value is None or value == "":
        return None
    if isinstance(value, StudyGroup):
        if value.study_id != study.id:
            raise GroupError(_("That stakeholder group belongs to another study."))
        return value
    group = db.session.scalar(select(StudyGroup).where(StudyGroup.study_id == study.id,
                                                       StudyGroup.code == str(value)))
    if group is None:
        raise GroupError(_("Unknown stakeholder group %(group)s.", group=str(value)[:40]))
    return group


def makeup(study: Study, experts) -> tuple[str, list[tuple[str, int]]]:
    """("Stakeholder group", [(name, count) …]) over ``experts``: the study's groups in their
    order (those with experts), then "No group"."""
    counts = [(group_label(g), sum(1 for e in experts if e.group_id == g.id)) for g in groups_of(study)]
    missing = sum(1 for e in experts if e.group_id is None)
    return (_("Stakeholder group"), [c for c in counts if c[1]] + ([(_("No group"), missing)] if missing else []))


# --- editing -------------------------------------------------------------------------

def create_defaults(study: Study) -> None:
    for position, (code, name_zh, name_en) in enumerate(DEFAULT_GROUPS):
        db.session.add(StudyGroup(study=study, code=code, name_zh=name_zh, name_en=name_en, position=position))
    db.session.flush()


def define_groups(study: Study, specs) -> None:
    """Make the study's groups exactly ``specs`` ((code, name_zh, name_en) …, in order): used by
    the demo studies, whose case (testing platforms) has its own groups. Groups in use stay."""
    existing = {g.code: g for g in groups_of(study)}
    wanted = [code for code, _zh, _en in specs]
    used = usage(study)
    for code, group in existing.items():
        if code not in wanted and group.id not in used:
            db.session.delete(group)
    db.session.flush()
    for position, (code, name_zh, name_en) in enumerate(specs):
        group = existing.get(code) or StudyGroup(study=study, code=code)
        group.name_zh, group.name_en, group.position = name_zh, name_en, position
        db.session.add(group)
    db.session.flush()


def _check_names(name_zh: str, name_en: str) -> tuple[str, str]:
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not name_zh and not name_en:
        raise GroupError(_("Give the group a name in Chinese or English."))
    if len(name_zh) > 100 or len(name_en) > 100:
        raise GroupError(_("A group name is at most 100 characters."))
    return name_zh, name_en


def add_group(study: Study, *, code: str, name_zh: str = "", name_en: str = "") -> StudyGroup:
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        raise GroupError(_("The code %(code)s is not valid: use 1–32 lower-case letters, digits, “-” or “_”, "
                           "starting with a letter or digit.", code=code[:40]))
    name_zh, name_en = _check_names(name_zh, name_en)
    existing = groups_of(study)
    if any(g.code == code for g in existing):
        raise GroupError(_("The study already has a group with the code %(code)s.", code=code))
    if len(existing) >= MAX_GROUPS:
        raise GroupError(_("A study has at most %(n)s groups.", n=MAX_GROUPS))
    group = StudyGroup(study=study, code=code, name_zh=name_zh, name_en=name_en,
                       position=max((g.position for g in existing), default=-1) + 1)
    db.session.add(group)
    db.session.flush()
    audit.record("group.add", study=study, target=f"group:{code}")
    return group


def rename_group(group: StudyGroup, *, name_zh: str = "", name_en: str = "") -> None:
    group.name_zh, group.name_en = _check_names(name_zh, name_en)
    db.session.flush()
    audit.record("group.rename", study=group.study, target=f"group:{group.code}")


def move_group(group: StudyGroup, step: int) -> None:
    """Move one place up (``step`` = -1) or down (+1); positions become 0, 1, 2 …"""
    if step not in (-1, 1):
        raise GroupError(_("A group moves one place up or down."))
    groups = groups_of(group.study)
    at = groups.index(group)
    to = at + step
    if not 0 <= to < len(groups):
        raise GroupError(_("The group is already first.") if step < 0 else _("The group is already last."))
    groups[at], groups[to] = groups[to], groups[at]
    for position, g in enumerate(groups):
        g.position = position
    db.session.flush()
    audit.record("group.move", study=group.study, target=f"group:{group.code}", details={"step": step})


def delete_group(group: StudyGroup) -> None:
    n = db.session.scalar(select(func.count(Expert.id)).where(Expert.group_id == group.id))
    if n:
        raise GroupError(_("The group %(name)s cannot be deleted: %(n)s experts belong to it. Move them to "
                           "another group first.", name=group_label(group), n=n))
    study, code = group.study, group.code
    db.session.delete(group)
    db.session.flush()
    for position, g in enumerate(groups_of(study)):
        g.position = position
    db.session.flush()
    audit.record("group.delete", study=study, target=f"group:{code}")
