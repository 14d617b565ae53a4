"""The coordinator blueprint: the blueprint and its guard live in blueprint.py, the routes in their modules."""
from webapp.coordinator import routes  # noqa: F401  (attaches the routes)
from webapp.coordinator.blueprint import bp

__all__ = ["bp"]
