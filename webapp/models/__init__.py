"""Every model, importable from ``webapp.models``."""
from webapp.models.audit import AuditEvent
from webapp.models.base import utcnow
from webapp.models.block_note import BlockNote
from webapp.models.group import StudyGroup
from webapp.models.evaluator import Evaluator, EvaluatorAssignment, EvaluatorMessage, EvaluatorScore
from webapp.models.evaluation import (
    EvaluatedObject,
    Evaluation,
    EvaluationKind,
    EvaluationScore,
    EvaluationStatus,
)
from webapp.models.message import DeliveryStatus, Message, MessageKind
from webapp.models.response import (
    Judgment,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Rating,
    Response,
    ResponseStatus,
)
from webapp.models.round import ItemDecision, Round, RoundItem, RoundKind, RoundStatus
from webapp.models.round_report import FrozenReport
from webapp.models.study import (
    BASIS_LEVELS,
    BASIS_SOURCES,
    FAMILIARITY_LEVELS,
    Expert,
    InvalidTransition,
    Node,
    NodeStatus,
    Study,
    StudyStatus,
    hash_token,
)
from webapp.models.user import LoginAttempt, User
from webapp.models.weight_answer import WeightAnswer
from webapp.models.weight_set import ImmutableRow, WeightSet, WeightSetWithdrawal

__all__ = [
    "AuditEvent", "BASIS_LEVELS", "BlockNote", "DeliveryStatus", "EvaluatedObject", "Evaluation",
    "EvaluationKind", "EvaluationScore", "EvaluationStatus", "Evaluator", "EvaluatorAssignment",
    "EvaluatorMessage", "EvaluatorScore", "BASIS_SOURCES", "Expert", "FAMILIARITY_LEVELS", "FrozenReport", "Message",
    "MessageKind",
    "ImmutableRow", "InvalidTransition", "ItemDecision", "Judgment", "LoginAttempt", "Node",
    "NodeStatus", "Proposal", "ProposalKind", "ProposalStatus", "Rating", "Response",
    "ResponseStatus", "Round", "RoundItem", "RoundKind", "RoundStatus", 
    "Study", "StudyGroup", "StudyStatus", "User", "WeightAnswer", "WeightSet", "WeightSetWithdrawal", "hash_token", "utcnow",
]
