"""The one way a view runs a service call that writes: commit on success, roll back on refusal.

Views stay readable::

    return act(lambda: round_lifecycle.open_round(rnd), to=round_url,
               done=_("Round %(n)s is open.", n=rnd.number))

or, when a refusal goes back into a form::

    result, refusal = attempt(lambda: studies.update_study(study, ...), StudyError)
    if refusal:
        form.title.errors = [refusal]

or, for the whole validate / attempt / flash / redirect block of a form post::

    return (save_form(form, lambda: studies.update_study(study, ...), refusals=(StudyError,),
                      error_field=form.title, to=settings_url, done=_("Study settings saved."))
            or render_the_form_again(form, status=400))
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect
from werkzeug.wrappers import Response

from webapp.extensions import db


def attempt(action: Callable[[], Any], *refusals: type[Exception]) -> tuple[Any, str | None]:
    """Run ``action``; commit and return ``(result, None)``, or, when it raises one of
    ``refusals`` (default ``ValueError``: the services' refusals), roll back and return
    ``(None, message)``. Anything else propagates (and the request's session is discarded)."""
    try:
        result = action()
    except (refusals or (ValueError,)) as exc:
        db.session.rollback()
        return None, str(exc)
    db.session.commit()
    return result, None


def act(action: Callable[[], Any], *, to: str, done: str | Callable[[Any], str],
        refused_to: str | None = None, refusals: tuple[type[Exception], ...] = (ValueError,),
        category: str | Callable[[Any], str] = "success"):
    """:func:`attempt` ``action``, flash ``done`` (or the refusal, as an error) and redirect
    to ``to`` (``refused_to`` after a refusal, when given)."""
    result, refusal = attempt(action, *refusals)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(refused_to or to)
    flash(done(result) if callable(done) else done, category(result) if callable(category) else category)
    return redirect(to)


def save_form(form, action: Callable[[], Any], *, to: str, done: str | Callable[[Any], str],
              refusals: tuple[type[Exception], ...] = (ValueError,), error_field=None) -> Response | None:
    """Validate ``form``, then :func:`attempt` ``action``: on success flash ``done`` (or ``done(result)``)
    and return the redirect to ``to``. Return None when the form is invalid or the service refuses (the
    refusal put on ``error_field``, else on the form's own errors): the view renders the form again."""
    if not form.validate():
        return None
    result, refusal = attempt(action, *refusals)
    if refusal is not None:
        if error_field is None:
            form.form_errors.append(refusal)
        else:
            error_field.errors = [refusal]
        return None
    flash(done(result) if callable(done) else done, "success")
    return redirect(to)
