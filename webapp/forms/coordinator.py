from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms.base import BaseForm, choices


class StudyForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(
        _l("Description for the experts (Markdown)"), validators=[Length(max=20000)],
        description=_l("Shown on the experts' welcome page. **bold**, *italic*, lists and links work."))
    default_locale = RadioField(_l("Experts' default language"),
                                choices=choices([("zh", "中文"), ("en", "English")]), default="zh")
    time_zone = SelectField(
        _l("Time zone"), default="",
        description=_l("Every time of this study is entered and shown in this zone, with its name. "
                       "New studies start with your browser's zone (Asia/Shanghai for a Chinese study "
                       "when the browser does not say)."),
        render_kw={"data-browser-zone": ""})

    def __init__(self, *args, **kwargs):
        from webapp.services.timezones import zone_choices

        super().__init__(*args, **kwargs)
        self.time_zone.choices = choices([("", _l("Your browser's time zone"))] + [(z, z) for z in zone_choices()])
