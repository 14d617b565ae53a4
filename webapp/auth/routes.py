"""Login, logout, invitation links, the home page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from webapp.auth.blueprint import bp
from webapp.extensions import db
from webapp.forms.auth import EnterForm, LoginForm
from webapp.forms.base import CsrfOnlyForm
from webapp.models import Expert, utcnow
from webapp.security import (
    current_expert,
    end_coordinator_session,
    fresh_session,
    keeps_data_on_csrf_failure,
    safe_next_url,
    sign_in_expert,
)
from webapp.services import audit
from webapp.services.accounts import authenticate, record_attempt


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("coordinator.index"))
    if current_expert() is not None:
        return redirect(url_for("expert.home"))
    return render_template("auth/index.html")


@bp.route("/login", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def login():
    if current_user.is_authenticated:
        return redirect(url_for("coordinator.index"))
    form = LoginForm(request.form, next=request.args.get("next"))
    status = 200
    if request.method == "POST" and form.validate():
        username = form.username.data.strip()
        # The attempt is committed before the password is checked, so that parallel
        # guesses see each other (at most the limit of checks per account and source).
        attempt = record_attempt(username, request.remote_addr)
        db.session.commit()
        result = authenticate(username, form.password.data, request.remote_addr, attempt=attempt)
        if result.throttled:
            db.session.commit()
            form.password.errors.append(_("Too many failed attempts. Try again in 15 minutes."))
            status = 429
        elif result.user is None:
            db.session.commit()  # keep the failed attempt for the throttle
            form.password.errors.append(_("Unknown username or wrong password."))
            status = 401
        else:
            fresh_session()  # no expert session, and a new CSRF secret, for the coordinator
            login_user(result.user, remember=form.remember.data)
            audit.record("user.login", target=f"user:{result.user.id}")
            db.session.commit()
            return redirect(safe_next_url(form.next.data) or url_for("coordinator.index"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    end_coordinator_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/i", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def enter():
    """The invitation link ``/i#<token>``: the token travels in the fragment, which the
    browser never sends, so no access log or proxy records it. This page's script
    (``static/js/enter.js``) posts it; without JavaScript the expert pastes the link."""
    if request.method == "GET":
        return render_template("auth/enter.html", form=EnterForm()), 200
    form = EnterForm(request.form)
    if not form.validate():
        return render_template("auth/enter.html", form=form), 400
    return _sign_in_with(form.token_value(), in_form=True)


@bp.route("/i/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """Links issued before the fragment form (``/i/<token>``) keep working; the server's
    access log redacts their path (``webapp/accesslog.py``)."""
    return _sign_in_with(token, in_form=False)


def _sign_in_with(token: str, *, in_form: bool):
    """Exchange an invitation token for a session, then leave for the token-free URL.

    A coordinator who opens an expert's link is asked first (the page posts back to
    continue): the two never share one browser session silently.
    """
    if not token or len(token) > 100:
        return render_template("auth/invitation_invalid.html", reason="unknown"), 404
    expert = Expert.by_token(token)
    if expert is None:
        return render_template("auth/invitation_invalid.html", reason="unknown"), 404
    if expert.is_revoked:
        return render_template("auth/invitation_invalid.html", reason="revoked"), 403
    if current_user.is_authenticated:
        confirmed = request.method == "POST" and (not in_form or request.form.get("confirmed") == "1")
        if not confirmed:
            return render_template("auth/invitation_confirm.html", token=token, expert=expert, in_form=in_form)
        end_coordinator_session()
    sign_in_expert(expert)
    if expert.locale or expert.study.default_locale:
        session["lang"] = expert.locale or expert.study.default_locale
    expert.last_seen_at = utcnow()
    audit.record("expert.enter", study=expert.study, expert=expert)
    db.session.commit()
    return redirect(url_for("expert.home"))


@bp.route("/expert/leave", methods=["POST"])
def expert_leave():
    CsrfOnlyForm(request.form)  # the global check has already verified the token
    fresh_session()
    flash(_("You have left the questionnaire. Your invitation link brings you back."), "info")
    return redirect(url_for("auth.index"))
