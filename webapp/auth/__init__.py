"""The auth blueprint: the blueprint and its guard live in blueprint.py, the routes in their modules."""
from webapp.auth import account, routes  # noqa: F401  (attaches the routes)
from webapp.auth.blueprint import bp

__all__ = ["bp"]
