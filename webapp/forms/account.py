"""The coordinator's account page: language, e-mail, password."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from webapp.forms.base import BaseForm, choices

BROWSER = "browser"


class LanguageForm(BaseForm):
    locale = RadioField(_l("Language of the pages"), default=BROWSER, choices=choices([
        (BROWSER, _l("Follow my browser")), ("zh", "中文"), ("en", "English")]))


class EmailForm(BaseForm):
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254),
                                                  Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                         message=_l("Enter an e-mail address."))])


class PasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)],
                        description=_l("At least 10 characters. Every other device is logged out."))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])
