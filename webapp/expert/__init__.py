"""The expert blueprint: the blueprint and its guard live in blueprint.py, the routes in their modules."""
from webapp.expert import routes  # noqa: F401  (attaches the routes)
from webapp.expert import ahp  # noqa: F401  (AHP questionnaire)
from webapp.expert import g1bwm  # noqa: F401  (G1 and BWM questionnaires)
from webapp.expert import round_zero  # noqa: F401  (round 0: open proposals)
from webapp.expert import charts  # noqa: F401  (the feedback chart, rendered once per chart)
from webapp.expert import item_markup  # noqa: F401  (the questionnaire's items, kept between requests)
from webapp.expert.blueprint import bp

__all__ = ["bp"]
