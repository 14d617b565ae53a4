"""``GET /api/weight-sets`` …: published versions and their files, read-only.

- A study's sets are served when the study is public, or with its API key in
  ``X-API-Key`` (or ``Authorization: Bearer <key>``). Anything else — an
  unknown study or version, a private study without its key, a study with
  nothing published — is the same 404, so nothing tells whether it exists.
- A version's files never change: ETag = the checksum (with a suffix per
  format), 304 on ``If-None-Match``, ``Cache-Control: max-age=31536000,
  immutable`` (``private`` for a private study). Withdrawal is shown in the
  listing (``withdrawn``, ``withdrawn_at``), which is revalidated every time;
  ``/latest`` is the newest version not withdrawn (a redirect, never cached).
- GET only, with ``Access-Control-Allow-Origin: *`` (no cookies are used).
- Only the frozen documents are served: pseudonyms, names and answers never are.
"""
from __future__ import annotations

import hashlib
import json

from flask import Response, abort, redirect, request, url_for
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Study, WeightSet
from webapp.services import weight_files, weight_sets, weight_xmcda
from webapp.weights_api.blueprint import bp

YEAR = 31536000

FORMATS = {
    "json": ("application/json; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", weight_files.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", weight_files.to_xlsx),
    "xml": ("application/xml; charset=utf-8", weight_xmcda.to_xmcda),
}


def _api_key() -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


@bp.after_request
def _cors(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "X-API-Key, Authorization, If-None-Match"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Disposition"
    response.headers["Vary"] = "X-API-Key, Authorization"
    return response


def _study_or_404(study_id: int) -> Study:
    study = db.session.get(Study, study_id)
    if study is None or not weight_sets.key_opens(study, _api_key()):
        abort(404)
    return study


def _version_or_404(study_id: int, version: int) -> WeightSet:
    study = _study_or_404(study_id)
    weight_set = weight_sets.version_of(study, version)
    if weight_set is None:
        abort(404)
    return weight_set


def _conditional(body: bytes, *, etag: str, mimetype: str, public: bool, filename: str | None = None,
                 max_age: int = YEAR, immutable: bool = True) -> Response:
    quoted = f'"{etag}"'
    cache = f"{'public' if public else 'private'}, max-age={max_age}" + (", immutable" if immutable else "")
    if quoted in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = Response(status=304)
    else:
        response = Response(body, mimetype=mimetype)
        if filename:
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["ETag"] = quoted
    response.headers["Cache-Control"] = cache
    return response


def _entry(weight_set: WeightSet) -> dict:
    return {
        "study_id": weight_set.study_id,
        "title": weight_set.study.title,
        "version": weight_set.version,
        "label": weight_set.label,
        "published_at": weight_sets.iso_utc(weight_set.published_at),
        "checksum": weight_set.checksum,
        "withdrawn": weight_set.is_withdrawn,
        "withdrawn_at": weight_sets.iso_utc(weight_set.withdrawn_at) if weight_set.is_withdrawn else None,
        "url": url_for("weights_api.version_json", study_id=weight_set.study_id, version=weight_set.version),
    }


@bp.route("", methods=["GET"])
def listing():
    """Published versions, newest first: public studies, and the study whose key is given."""
    key = _api_key()
    query = select(WeightSet).join(Study).order_by(WeightSet.published_at.desc(), WeightSet.id.desc())
    if key:
        query = query.where((Study.api_public.is_(True)) | (Study.api_key_hash == weight_sets.hash_api_key(key)))
    else:
        query = query.where(Study.api_public.is_(True))
    entries = [_entry(ws) for ws in db.session.scalars(query)]
    body = json.dumps({"weight_sets": entries}, ensure_ascii=False).encode("utf-8")
    return _conditional(body, etag=hashlib.sha256(body).hexdigest(), mimetype="application/json",
                        public=not key, max_age=0, immutable=False)


@bp.route("/<int:study_id>/latest", methods=["GET"])
def latest(study_id: int):
    study = _study_or_404(study_id)
    weight_set = weight_sets.latest_version(study)
    if weight_set is None:
        abort(404)
    response = redirect(url_for("weights_api.version_json", study_id=study_id, version=weight_set.version))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/<int:study_id>/<int:version>", methods=["GET"])
def version_json(study_id: int, version: int):
    weight_set = _version_or_404(study_id, version)
    body = json.dumps(weight_set.document, ensure_ascii=False, indent=2).encode("utf-8")
    return _conditional(body, etag=weight_set.checksum, mimetype=FORMATS["json"][0],
                        public=weight_set.study.api_public)


@bp.route("/<int:study_id>/<int:version>.<fmt>", methods=["GET"])
def version_file(study_id: int, version: int, fmt: str):
    if fmt not in FORMATS:
        abort(404)
    weight_set = _version_or_404(study_id, version)
    mimetype, render = FORMATS[fmt]
    document = weight_set.document
    body = (json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") if render is None
            else render(document))
    return _conditional(body, etag=f"{weight_set.checksum}-{fmt}", mimetype=mimetype,
                        public=weight_set.study.api_public,
                        filename=f"{weight_files.base_name(document)}.{fmt}")


@bp.route("/<int:study_id>/<int:version>/datapackage.zip", methods=["GET"])
def version_datapackage(study_id: int, version: int):
    weight_set = _version_or_404(study_id, version)
    document = weight_set.document
    return _conditional(weight_files.to_datapackage_zip(document), etag=f"{weight_set.checksum}-zip",
                        mimetype="application/zip", public=weight_set.study.api_public,
                        filename=f"{weight_files.base_name(document)}.zip")
