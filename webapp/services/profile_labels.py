"""Labels of the descriptive expert profile (职称, 学历, age band, organisation type) as
Chinese Delphi papers tabulate their panels; counted in the panel make-up, never named."""
from __future__ import annotations

from flask_babel import gettext as _

from webapp.models.study import AGE_BANDS, EDUCATION_LEVELS, ORGANISATION_TYPES, TITLES


def title_labels() -> dict[str, str]:
    return {"senior": _("Senior (正高级)"), "associate": _("Associate senior (副高级)"),
            "intermediate": _("Intermediate (中级)"), "junior": _("Junior or none (初级及以下)"), "other": _("Other")}


def education_labels() -> dict[str, str]:
    return {"doctorate": _("Doctorate"), "master": _("Master's degree"), "bachelor": _("Bachelor's degree"),
            "other": _("Other")}


def age_labels() -> dict[str, str]:
    return {"under30": _("under 30"), "30-39": "30–39", "40-49": "40–49", "50-59": "50–59",
            "60plus": _("60 or older")}


def organisation_type_labels() -> dict[str, str]:
    return {"government": _("Government or regulator"), "university": _("University"),
            "research": _("Research institute"), "testing": _("Testing and inspection body"),
            "enterprise": _("Enterprise"), "other": _("Other")}


FIELDS = {  # profile key -> (codes, labels function)
    "title": (TITLES, title_labels),
    "education": (EDUCATION_LEVELS, education_labels),
    "age_band": (AGE_BANDS, age_labels),
    "organisation_type": (ORGANISATION_TYPES, organisation_type_labels),
}


def field_titles() -> dict[str, str]:
    return {"title": _("Professional title (职称)"), "education": _("Education (学历)"),
            "age_band": _("Age"), "organisation_type": _("Type of organisation")}


def makeup(experts) -> list[tuple[str, list[tuple[str, int]]]]:
    """Counts per category of each descriptive field (codes in their order; "not given" last)."""
    rows = []
    for key, (codes, labels) in FIELDS.items():
        names = labels()
        counts = [(names[code], sum(1 for e in experts if getattr(e, key) == code)) for code in codes]
        missing = sum(1 for e in experts if not getattr(e, key))
        rows.append((field_titles()[key], [c for c in counts if c[1]] + ([(_("not given"), missing)] if missing else [])))
    return rows
