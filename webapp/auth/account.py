"""The coordinator's account: language, e-mail, password, log out everywhere."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from webapp.auth.blueprint import bp
from webapp.extensions import db
from webapp.forms.account import BROWSER, EmailForm, LanguageForm, PasswordForm
from webapp.forms.base import CsrfOnlyForm
from webapp.security import end_coordinator_session, keeps_data_on_csrf_failure
from webapp.services import accounts


def _forms(**given):
    user = current_user
    forms = {
        "language_form": LanguageForm(data={"locale": user.locale or BROWSER}),
        "email_form": EmailForm(data={"email": user.email or ""}),
        "password_form": PasswordForm(),
    }
    forms.update(given)
    return forms


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", **_forms())


@bp.route("/account/language", methods=["POST"])
@login_required
@keeps_data_on_csrf_failure
def account_language():
    form = LanguageForm(request.form)
    if not form.validate():
        return render_template("auth/account.html", **_forms(language_form=form)), 400
    locale = None if form.locale.data == BROWSER else form.locale.data
    accounts.change_locale(current_user, locale)
    db.session.commit()
    if locale:
        session["lang"] = locale
    else:
        session.pop("lang", None)
    flash(_("Language saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/email", methods=["POST"])
@login_required
@keeps_data_on_csrf_failure
def account_email():
    form = EmailForm(request.form)
    if not form.validate():
        return render_template("auth/account.html", **_forms(email_form=form)), 400
    accounts.change_email(current_user, form.email.data)
    db.session.commit()
    flash(_("E-mail saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/password", methods=["POST"])
@login_required
@keeps_data_on_csrf_failure
def account_password():
    form = PasswordForm(request.form)
    if form.validate():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            form.current.errors.append(str(exc))
        else:
            user = current_user._get_current_object()
            db.session.commit()
            login_user(user)  # this device stays logged in under the new session generation
            flash(_("Password changed. Every other device is logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", **_forms(password_form=form)), 400


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    CsrfOnlyForm(request.form)  # the global check has already verified the token
    accounts.end_all_sessions(current_user)
    db.session.commit()
    end_coordinator_session()
    flash(_("You are logged out on every device."), "info")
    return redirect(url_for("auth.login"))
