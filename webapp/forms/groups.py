"""Forms of the stakeholder-group editor on the panel page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.forms.base import BaseForm


class GroupNamesForm(BaseForm):
    """A group's names (rename)."""

    name_zh = StringField(_l("Chinese name"), validators=[Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Length(max=100)])

    def names(self) -> dict:
        return {"name_zh": self.name_zh.data or "", "name_en": self.name_en.data or ""}


class GroupForm(GroupNamesForm):
    """A new group: its code (used in imported lists and exports) and names."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("Lower-case letters, digits, “-” or “_”; a pasted panel list may give it "
                                      "in the group column."),
                       render_kw={"autocomplete": "off", "autocapitalize": "off", "placeholder": "industry"})
