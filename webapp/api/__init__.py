"""The api blueprint: the blueprint and its guard live in blueprint.py, the routes in their modules."""
from webapp.api import answers, routes  # noqa: F401  (attaches the routes)
from webapp.api import ahp  # noqa: F401  (AHP autosave)
from webapp.api.blueprint import bp

__all__ = ["bp"]
