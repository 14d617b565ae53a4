"""Expert pages: the welcome page and questionnaires."""
from __future__ import annotations

from flask import render_template

from webapp.expert.blueprint import bp
from webapp.security import current_expert


@bp.route("/")
def home():
    expert = current_expert()
    return render_template("expert/home.html", expert=expert, study=expert.study)
