from webapp.forms.base import BaseForm, CsrfOnlyForm

__all__ = ["BaseForm", "CsrfOnlyForm"]
