"""The expert blueprint: the blueprint and its guard live in blueprint.py, the routes in their modules."""
from webapp.expert import routes  # noqa: F401  (attaches the routes)
from webapp.expert import ahp  # noqa: F401  (AHP questionnaire)
from webapp.expert.blueprint import bp

__all__ = ["bp"]
