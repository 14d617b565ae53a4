"""The coordinator blueprint: the blueprint and its guard live in blueprint.py, the routes in their modules."""
from webapp.coordinator import routes  # noqa: F401  (attaches the routes)
from webapp.coordinator import dashboard  # noqa: F401  (round dashboard and exports)
from webapp.coordinator import setup  # noqa: F401  (indicator system)
from webapp.coordinator import study_settings  # noqa: F401  (study settings: consensus rule, authority tables)
from webapp.coordinator import panel_pages  # noqa: F401  (the expert panel)
from webapp.coordinator import invitations  # noqa: F401  (links, QR, sheets, invitation e-mails)
from webapp.coordinator import steering  # noqa: F401  (preview, deadlines, reopening)
from webapp.coordinator import rounds  # noqa: F401  (round helpers, creating and editing drafts)
from webapp.coordinator import round_page  # noqa: F401  (one round: page, open, close, remind)
from webapp.coordinator import round_decisions  # noqa: F401  (between rounds: decisions, proposals, next)
from webapp.coordinator import ahp  # noqa: F401  (AHP rounds: form, dashboard, exports)
from webapp.coordinator import g1bwm  # noqa: F401  (G1 and BWM rounds: dashboard, exports)
from webapp.coordinator import evaluations  # noqa: F401  (evaluations with a published weight set)
from webapp.coordinator import evaluation_report  # noqa: F401  (the evaluation report, seed 5.2.9)
from webapp.coordinator import evaluation_people  # noqa: F401  (evaluators invited by link)
from webapp.coordinator import weights  # noqa: F401  (publishing weight sets)
from webapp.coordinator import report  # noqa: F401  (the study report)
from webapp.coordinator.blueprint import bp

__all__ = ["bp"]
