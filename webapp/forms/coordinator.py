from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms.base import BaseForm, choices


class StudyForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(
        _l("Description for the experts (Markdown)"), validators=[Length(max=20000)],
        description=_l("Shown on the experts' welcome page. **bold**, *italic*, lists and links work."))
    default_locale = RadioField(_l("Experts' default language"),
                                choices=choices([("zh", "中文"), ("en", "English")]), default="zh")
