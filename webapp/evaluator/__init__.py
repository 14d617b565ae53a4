"""The evaluator blueprint: people invited by link score their assigned objects (phone-friendly)."""
from webapp.evaluator import routes  # noqa: F401  (attaches the routes)
from webapp.evaluator.blueprint import bp

__all__ = ["bp"]
