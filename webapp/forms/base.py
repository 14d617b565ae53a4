"""The one base form: CSRF on, session token, a time limit of hours."""
from __future__ import annotations

from flask import current_app, g, session
from flask_babel import get_locale
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.csrf.session import SessionCSRF
from wtforms.validators import ValidationError

from webapp.services.inputs import clean_text


class ConcordiaCSRF(SessionCSRF):
    def validate_csrf_token(self, form, field):
        # A brand-new session has no secret yet: refuse cleanly, not with KeyError.
        if "csrf" not in self.session:
            raise ValidationError(field.gettext("CSRF failed."))
        super().validate_csrf_token(form, field)


class BaseForm(Form):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            # One cleaning step for every field: no NUL, control characters or lone
            # surrogates reach a service or the database (see services.inputs).
            options["filters"] = (clean_text,) + tuple(
                options.get("filters") or unbound_field.kwargs.get("filters") or ())
            return unbound_field.bind(form=form, **options)

        csrf = True
        csrf_class = ConcordiaCSRF
        csrf_field_name = "csrf_token"

        @property
        def csrf_secret(self):
            return current_app.secret_key.encode()

        @property
        def csrf_context(self):
            return session

        @property
        def csrf_time_limit(self):
            return current_app.config["CSRF_TIME_LIMIT"]

        @property
        def locales(self):
            # WTForms' own messages (e.g. "This field is required.") in Chinese too.
            return ["zh_CN", "zh"] if str(get_locale()) == "zh" else ["en"]

    @property
    def csrf_expired(self) -> bool:
        """True when the global check let this form re-render after a CSRF failure."""
        return bool(g.get("csrf_failed")) or bool(self.csrf_token.errors)


class CsrfOnlyForm(BaseForm):
    """For buttons (open, close, revoke ...) and the JSON token check."""


def choices(pairs) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
