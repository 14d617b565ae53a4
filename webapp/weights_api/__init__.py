"""The public, read-only weight-set API (``/api/weight-sets``); documented in docs/weight-set-format.md."""
from webapp.weights_api import routes  # noqa: F401  (attaches the routes)
from webapp.weights_api.blueprint import bp

__all__ = ["bp"]
