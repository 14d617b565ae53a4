"""Coordinator pages: studies. Views are thin: parse, call a service, commit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.coordinator.blueprint import bp
from webapp.extensions import db
from webapp.forms.coordinator import StudyForm
from webapp.security import keeps_data_on_csrf_failure
from webapp.services import studies, tree


def get_study_or_404(study_id: int):
    """A coordinator reaches only their own studies; anything else is a 404."""
    study = studies.owned_study(current_user, study_id)
    if study is None:
        abort(404)
    return study


@bp.route("/")
def index():
    return render_template("coordinator/index.html", studies=studies.studies_of(current_user))


@bp.route("/new", methods=["GET", "POST"])
@keeps_data_on_csrf_failure
def new_study():
    form = StudyForm(request.form)
    if request.method == "POST" and form.validate():
        try:
            study = studies.create_study(current_user, title=form.title.data,
                                         description=form.description.data or "",
                                         default_locale=form.default_locale.data,
                                         time_zone=form.time_zone.data or None)
        except studies.StudyError as exc:
            db.session.rollback()
            form.time_zone.errors = [str(exc)]
            return render_template("coordinator/study_form.html", form=form), 400
        db.session.commit()
        flash(_("Study created. Next, import its indicator hierarchy."), "success")
        return redirect(url_for("coordinator.study", study_id=study.id))
    return render_template("coordinator/study_form.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/<int:study_id>")
def study(study_id: int):
    study = get_study_or_404(study_id)
    kids = tree.children_by_id(study)  # the whole tree in one query, walked by the template
    return render_template("coordinator/study.html", study=study, kids=kids,
                           root=(kids.get(None) or [None])[0])
