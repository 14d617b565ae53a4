from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webapp.forms.base import BaseForm


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class EnterForm(BaseForm):
    """The invitation page's form: the token from the link's fragment (filled in by the
    page's script), or the whole link pasted by an expert without JavaScript."""

    token = StringField(_l("Your invitation link"), validators=[DataRequired(), Length(max=400)])

    def token_value(self) -> str:
        text = (self.token.data or "").strip()
        for marker in ("#", "/i/"):
            if marker in text:
                text = text.rsplit(marker, 1)[1]
        return text.strip().strip("/")
