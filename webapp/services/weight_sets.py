"""Publishing weight sets: preview, freeze as weight-set/1, withdraw; API access of a study.

A source (one per round kind, ``SOURCES``) gives local weights per sibling
group (the contract in ``/work/briefs/contracts.md``); this module adds the
hierarchy (names, levels), computes every global weight as parent global ×
local at full precision, checks the sums, and freezes the canonical JSON with
its SHA-256 (``WeightSet.freeze``). The format is ``docs/weight-set-format.md``.
"""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

import ahp
from webapp.extensions import db
from webapp.models import (
    Round,
    RoundStatus,
    Study,
    User,
    WeightSet,
    WeightSetWithdrawal,
    utcnow,
)
from webapp.models.weight_set import canonical_json
from webapp.services import ahp_rounds, ahp_weights, audit, delphi_weights
from webapp.services.tree import tree_order

SCHEMA = "weight-set/1"
TOLERANCE = 1e-9

SOURCES = {"delphi": delphi_weights.publishable_weights, "ahp": ahp_weights.publishable_weights}


class PublishError(ValueError):
    """A refused publication or withdrawal; the message is shown to the coordinator."""


def iso_utc(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- building the payload -------------------------------------------------------

def _finite_weight(value, code: str) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = math.nan
    if not math.isfinite(weight) or weight < 0 or weight > 1:
        raise PublishError(_("The weight of %(code)s is not a number between 0 and 1.", code=code))
    return weight


def _interval(source: dict, code: str):
    interval = (source.get("global_intervals") or {}).get(code)
    if interval is None:
        return None
    lo, hi = (float(x) for x in interval)
    return [lo, hi]


def build_nodes(study: Study, source: dict) -> list[dict]:
    """weight-set/1 ``nodes`` from a source dict: tree order, globals = parent global × local."""
    local = source.get("local_weights") or {}
    ordered = tree_order(study)
    if not ordered:
        raise PublishError(_("The study has no indicator system."))
    by_code = {n.code: n for n in ordered}
    unknown = sorted(set(local) - set(by_code))
    if unknown:
        raise PublishError(_("The source names indicators the study does not have: %(codes)s.",
                             codes=", ".join(unknown)))
    root = ordered[0]
    if root.code in local:
        raise PublishError(_("The goal has no local weight."))
    block_cr = source.get("block_cr") or {}
    block_s = source.get("block_s_star") or {}
    weighted = {root.id}
    nodes, global_of, sums = [], {root.id: 1.0}, {}
    depth = {root.id: 0}
    for node in ordered:
        if node.parent_id is not None:
            if node.code not in local:
                continue
            if node.parent_id not in weighted:
                raise PublishError(_("%(code)s has a weight but its parent %(parent)s has none.",
                                     code=node.code, parent=node.parent.code))
            w = _finite_weight(local[node.code], node.code)
            weighted.add(node.id)
            depth[node.id] = depth[node.parent_id] + 1
            global_of[node.id] = global_of[node.parent_id] * w
            sums[node.parent_id] = sums.get(node.parent_id, 0.0) + w
        nodes.append({
            "code": node.code,
            "parent": node.parent.code if node.parent_id is not None else None,
            "name": {"zh": node.name_zh or node.name_en, "en": node.name_en or node.name_zh},
            "level": depth[node.id],
            "local_weight": 1.0 if node.parent_id is None else float(local[node.code]),
            "global_weight": global_of[node.id],
            "cr": None,
            "s_star": None,
            "interval": _interval(source, node.code),
        })
    heads = set(sums)
    code_of = {n.id: n.code for n in ordered}
    for parent_id, total in sums.items():
        if abs(total - 1.0) > TOLERANCE:
            raise PublishError(_("The local weights under %(code)s sum to %(total)s, not 1.",
                                 code=code_of[parent_id], total=f"{total:.12g}"))
    for entry in nodes:
        node = by_code[entry["code"]]
        if node.id in heads:
            cr = block_cr.get(entry["code"])
            s_star = block_s.get(entry["code"])
            entry["cr"] = None if cr is None else float(cr)
            entry["s_star"] = None if s_star is None else float(s_star)
    if len(nodes) == 1:
        raise PublishError(_("The source gives no weights."))
    leaves = [global_of[by_code[e["code"]].id] for e in nodes if by_code[e["code"]].id not in heads]
    if abs(math.fsum(leaves) - 1.0) > TOLERANCE:
        raise PublishError(_("The leaf weights sum to %(total)s, not 1.", total=f"{math.fsum(leaves):.12g}"))
    return nodes


def _panel(source: dict) -> tuple[dict, list | None]:
    panel = dict(source.get("panel") or {})
    used = panel.get("experts_used")
    pseudonyms = list(used) if isinstance(used, (list, tuple)) else None
    panel["experts_used"] = len(used) if isinstance(used, (list, tuple)) else int(used or 0)
    panel["experts_invited"] = int(panel.get("experts_invited") or 0)
    panel["rounds"] = {str(k): int(v) for k, v in (panel.get("rounds") or {}).items()}
    return panel, pseudonyms


def build_payload(study: Study, source: dict, *, version: int, published_at: datetime,
                  label: str = "") -> tuple[dict, list | None]:
    """The weight-set/1 document without its checksum, and the pseudonyms used (kept apart)."""
    panel, pseudonyms = _panel(source)
    provenance = dict(source.get("provenance") or {})
    provenance["source"] = source.get("kind")
    payload = {
        "schema": SCHEMA,
        "study": {"id": study.id, "title": study.title},
        "version": version,
        "label": label,
        "published_at": iso_utc(published_at),
        "method": {"kind": source.get("kind"), **(source.get("method") or {})},
        "panel": panel,
        "provenance": provenance,
        "nodes": build_nodes(study, source),
    }
    if source.get("block_matrices"):
        payload["block_matrices"] = source["block_matrices"]
    return payload, pseudonyms


def content_digest(payload: dict) -> str:
    """What a preview promises: the payload less its version and time."""
    rest = {k: v for k, v in payload.items() if k not in ("published_at", "version", "label")}
    return hashlib.sha256(canonical_json(rest).encode("utf-8")).hexdigest()


# --- versions ----------------------------------------------------------------------

def versions_of(study: Study) -> list[WeightSet]:
    return list(db.session.scalars(select(WeightSet).where(WeightSet.study_id == study.id)
                                   .order_by(WeightSet.version.desc())))


def version_of(study: Study, version: int) -> WeightSet | None:
    return db.session.scalar(select(WeightSet).where(WeightSet.study_id == study.id,
                                                     WeightSet.version == version))


def latest_version(study: Study) -> WeightSet | None:
    return next((ws for ws in versions_of(study) if not ws.is_withdrawn), None)


def source_rounds(study: Study) -> list[Round]:
    """Closed rounds of a kind that can be published, newest first."""
    return [r for r in sorted(study.rounds, key=lambda r: -r.number)
            if r.status is RoundStatus.closed and r.kind.value in SOURCES]


def source_of(rnd: Round) -> dict:
    publish = SOURCES.get(rnd.kind.value)
    if publish is None or rnd.status is not RoundStatus.closed:
        raise PublishError(_("Weights can be published only from a closed round."))
    try:
        source = publish(rnd)
    except PublishError:
        raise
    except ValueError as exc:
        raise PublishError(str(exc)) from exc
    if rnd.kind.value == "ahp" and not source.get("block_matrices"):
        matrices = ahp_group_matrices(rnd)
        if matrices:
            source = {**source, "block_matrices": matrices}
    return source


def ahp_group_matrices(rnd: Round) -> dict:
    """The group (AIJ) pairwise matrix of each block of a closed AHP round, when the AHP source does
    not give them (the optional ``block_matrices`` of contracts.md): the weighted geometric mean of
    the included experts' matrices with their weights — the matrix whose priorities the round uses."""
    analysis = ahp_rounds.analysis_of(rnd)
    out = {}
    for parent, block in analysis.blocks.items():
        if block.aij is None:
            continue
        use = block.included
        matrix = ahp.aggregate_judgments(block.matrices[use], block.weights[use])
        out[parent] = {"codes": list(block.children), "matrix": [[float(x) for x in row] for row in matrix]}
    return out


@dataclass
class DiffRow:
    code: str
    name: dict
    before: dict | None
    after: dict | None

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        same = all(self.before.get(k) == self.after.get(k) for k in ("local_weight", "global_weight"))
        return "same" if same else "changed"

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after["global_weight"] - self.before["global_weight"]


@dataclass
class Preview:
    round: Round | None             # the source round (None for a combined set: see ``origin``)
    payload: dict
    digest: str
    previous: WeightSet | None
    diff: list[DiffRow] = field(default_factory=list)
    method_changes: list[str] = field(default_factory=list)


def diff(before: dict | None, after: dict) -> tuple[list[DiffRow], list[str]]:
    old = {n["code"]: n for n in (before or {}).get("nodes", [])}
    new = {n["code"]: n for n in after["nodes"]}
    rows = [DiffRow(code, node["name"], old.get(code), node) for code, node in new.items()]
    rows += [DiffRow(code, node["name"], node, None) for code, node in old.items() if code not in new]
    old_method = (before or {}).get("method", {})
    changed = sorted(k for k in set(old_method) | set(after["method"])
                     if before is not None and old_method.get(k) != after["method"].get(k))
    return rows, changed


def preview(study: Study, rnd: Round, *, now: datetime | None = None) -> Preview:
    """Exactly what publishing ``rnd`` now would freeze, and its diff against the newest version."""
    return preview_source(study, source_of(rnd), origin=rnd, now=now)


def preview_source(study: Study, source: dict, *, origin=None, now: datetime | None = None) -> Preview:
    """Exactly what publishing ``source`` (a source dict of any kind) now would freeze, with its diff."""
    versions = versions_of(study)
    version = (versions[0].version + 1) if versions else 1
    payload, _pseudonyms = build_payload(study, source, version=version, published_at=now or utcnow())
    previous = versions[0] if versions else None
    rows, changed = diff(previous.payload if previous else None, payload)
    return Preview(origin, payload, content_digest(payload), previous, rows, changed)


def publish(study: Study, rnd: Round, *, by: User | None = None, label: str = "",
            expected_digest: str | None = None, now: datetime | None = None) -> WeightSet:
    """Freeze a new version (v1, v2 …) from a closed round. Earlier versions never change."""
    return publish_source(study, source_of(rnd), by=by, label=label, expected_digest=expected_digest, now=now)


def publish_source(study: Study, source: dict, *, by: User | None = None, label: str = "",
                   expected_digest: str | None = None, now: datetime | None = None) -> WeightSet:
    """Freeze a new version from a source dict (a round's, or ``combined_weights``'). Refused when
    ``expected_digest`` (the preview's) no longer matches: nothing is stored then."""
    now = (now or utcnow()).replace(microsecond=0)
    version = (db.session.scalar(select(func.max(WeightSet.version))
                                 .where(WeightSet.study_id == study.id)) or 0) + 1
    label = (label or "").strip()[:200]
    payload, pseudonyms = build_payload(study, source, version=version, published_at=now, label=label)
    if expected_digest is not None and expected_digest != content_digest(payload):
        raise PublishError(_("The weights changed since the preview. Look at the new preview "
                             "before publishing."))
    weight_set = WeightSet.freeze(study=study, version=version, payload=payload, label=label,
                                  published_by=by, experts_used=pseudonyms)
    weight_set.published_at = now
    db.session.add(weight_set)
    db.session.flush()
    audit.record("weights.publish", study=study, target=f"weight_set:{weight_set.id}",
                 details={"version": version, "checksum": weight_set.checksum,
                          "source": source.get("kind"), "round_ids": payload["provenance"].get("round_ids")})
    return weight_set


def withdraw(weight_set: WeightSet, *, by: User | None = None, reason: str = "",
             now: datetime | None = None) -> WeightSetWithdrawal:
    """Mark a version withdrawn (dated, with a reason); it stays downloadable."""
    if weight_set.is_withdrawn:
        raise PublishError(_("Version %(v)s is already withdrawn.", v=weight_set.version))
    withdrawal = WeightSetWithdrawal(weight_set=weight_set, withdrawn_at=now or utcnow(),
                                     withdrawn_by_id=getattr(by, "id", None), reason=(reason or "").strip())
    db.session.add(withdrawal)
    db.session.flush()
    audit.record("weights.withdraw", study=weight_set.study, target=f"weight_set:{weight_set.id}",
                 details={"version": weight_set.version, "reason": withdrawal.reason})
    return withdrawal


# --- API access ------------------------------------------------------------------------

def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def set_api_public(study: Study, public: bool) -> None:
    if study.api_public != bool(public):
        study.api_public = bool(public)
        audit.record("weights.api_access", study=study, target=f"study:{study.id}",
                     details={"public": bool(public)})


def rotate_api_key(study: Study, *, now: datetime | None = None) -> str:
    """A new key for the study's weight sets; the previous one stops working. Shown once."""
    key = "cw_" + secrets.token_urlsafe(32)
    study.api_key_hash = hash_api_key(key)
    study.api_key_issued_at = now or utcnow()
    audit.record("weights.api_key_rotate", study=study, target=f"study:{study.id}")
    return key


def key_opens(study: Study, key: str | None) -> bool:
    if study.api_public:
        return True
    if not key or not study.api_key_hash:
        return False
    return secrets.compare_digest(hash_api_key(key), study.api_key_hash)
