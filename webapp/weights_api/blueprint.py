from flask import Blueprint

# No guard: anyone may read public sets; private ones need the study's API key (routes.py).
bp = Blueprint("weights_api", __name__)
