"""Evaluators' deadline and reminders, as in rounds: a deadline in the study's time zone, a reminder
some hours before it to every evaluator who has not scored all their objects, carrying their link.

Delivery follows ``webapp.services.mail``: ``queue`` writes one ``EvaluatorMessage`` per evaluator
with an e-mail address (status *queued*), the caller commits, ``finish`` sends each and records
*sent* / *failed* with the server's answer; with no ``SMTP_HOST`` the rows are *not sent* and the
page offers the messages to copy. The automatic reminder is claimed by a conditional UPDATE of
``Evaluation.reminded_at`` so two sweeps never both send it. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import DeliveryStatus, Evaluation, EvaluationStatus, Evaluator, EvaluatorMessage, utcnow
from webapp.services import audit, invitations, mail, timezones
from webapp.services.evaluations import EvaluationError, _check_open, tree_of
from webapp.services.evaluators import evaluators_of, language_of, progress

MAX_REMINDER_HOURS = 720


def evaluator_url(token: str) -> str:
    return invitations.base_url() + "/evaluate/i/" + token


def link_of(evaluator: Evaluator) -> str | None:
    token = evaluator.current_token()
    return evaluator_url(token) if token else None


# --- the deadline ---------------------------------------------------------------------------

def set_deadline(evaluation: Evaluation, *, deadline_local: datetime | None, reminder_hours: int | None,
                 now: datetime | None = None) -> None:
    """Deadline entered in the study's time zone (None clears it) and the reminder's lead time in hours."""
    _check_open(evaluation)
    now = now or utcnow()
    deadline = timezones.to_utc(deadline_local, evaluation.study.time_zone) if deadline_local else None
    if deadline is not None and deadline <= now:
        raise EvaluationError(_("The deadline must be in the future."))
    if reminder_hours is not None:
        if deadline is None:
            raise EvaluationError(_("A reminder needs a deadline."))
        if not 1 <= reminder_hours <= MAX_REMINDER_HOURS:
            raise EvaluationError(_("Send the reminder from 1 to %(n)s hours before the deadline.",
                                    n=MAX_REMINDER_HOURS))
    if deadline != evaluation.deadline_at:
        evaluation.reminded_at = None          # a new deadline earns a new reminder
    evaluation.deadline_at, evaluation.reminder_hours = deadline, reminder_hours
    db.session.flush()
    audit.record("evaluation.deadline", study=evaluation.study, target=f"evaluation:{evaluation.id}",
                 details={"deadline": deadline.isoformat() if deadline else None, "reminder_hours": reminder_hours})


def reminder_due_at(evaluation: Evaluation) -> datetime | None:
    if evaluation.reminder_hours is None or evaluation.deadline_at is None:
        return None
    return evaluation.deadline_at - timedelta(hours=evaluation.reminder_hours)


def is_reminder_due(evaluation: Evaluation, now: datetime) -> bool:
    due = reminder_due_at(evaluation)
    return (evaluation.status is EvaluationStatus.collecting and evaluation.reminded_at is None
            and due is not None and due <= now < evaluation.deadline_at)


def due_reminder_evaluations(now: datetime) -> list[int]:
    candidates = db.session.scalars(select(Evaluation).where(
        Evaluation.status == EvaluationStatus.collecting, Evaluation.reminder_hours.is_not(None),
        Evaluation.reminded_at.is_(None), Evaluation.deadline_at.is_not(None), Evaluation.deadline_at > now)
        .order_by(Evaluation.id)).all()
    return [e.id for e in candidates if is_reminder_due(e, now)]


def pending_evaluators(evaluation: Evaluation) -> list[Evaluator]:
    """Evaluators with an active link who have not scored every leaf of every object assigned to them."""
    n = len(tree_of(evaluation).leaves)
    return [e for e in evaluators_of(evaluation)
            if not e.is_revoked and any(progress(e, o) < n for o in e.objects)]


# --- messages -------------------------------------------------------------------------------

@dataclass
class Composed:
    evaluator: Evaluator
    subject: str
    body: str
    locale: str


def compose(evaluator: Evaluator) -> Composed:
    evaluation = evaluator.evaluation
    study = evaluation.study
    locale = language_of(evaluator)
    title = mail.header_safe(evaluation.title)
    link = link_of(evaluator)
    with force_locale(locale):
        deadline = (timezones.format_in(evaluation.deadline_at, study.time_zone)
                    if evaluation.deadline_at else None)
        subject = (_("Reminder: the evaluation “%(title)s” closes %(deadline)s", title=title, deadline=deadline)
                   if deadline else _("Reminder: the evaluation “%(title)s”", title=title))
        parts = [_("Dear %(name)s,", name=mail.header_safe(evaluator.name)),
                 _("Some scores of the evaluation “%(title)s” are still missing. Scores you have entered are "
                   "saved; please score the remaining indicators of your objects.", title=title)]
        if deadline:
            parts.append(_("Please score by %(deadline)s.", deadline=deadline))
        parts.append(_("Your personal link (please do not forward it):") + "\n" + link if link
                     else _("Your link has been withdrawn; the coordinator will send you a new one."))
        parts.append(_("Thank you."))
    return Composed(evaluator, mail.header_safe(subject, limit=390), "\n\n".join(parts) + "\n", locale)


@dataclass
class Outcome(mail.Tally):
    evaluation_id: int
    rows: list[EvaluatorMessage] = field(default_factory=list)
    without_email: int = 0


def _queue(evaluation: Evaluation, evaluators: list[Evaluator]) -> Outcome:
    outcome = Outcome(evaluation.id)
    for person in evaluators:
        if not person.email:
            outcome.without_email += 1
            continue
        composed = compose(person)
        outcome.rows.append(EvaluatorMessage(evaluation_id=evaluation.id, evaluator=person,
                                             recipient=person.email[:254], subject=composed.subject,
                                             locale=composed.locale, status=DeliveryStatus.queued))
    db.session.add_all(outcome.rows)
    db.session.flush()
    return outcome


def queue_due_reminder(evaluation: Evaluation, *, now: datetime) -> Outcome | None:
    """Claim the automatic reminder (None: not due, or another sweep has it) and queue it; commit, then finish."""
    if not is_reminder_due(evaluation, now):
        return None
    claimed = db.session.execute(
        update(Evaluation).where(Evaluation.id == evaluation.id, Evaluation.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(evaluation)
    if not claimed:
        return None
    return _queue(evaluation, pending_evaluators(evaluation))


def queue_reminders_now(evaluation: Evaluation, *, now: datetime | None = None) -> Outcome:
    """The coordinator's "Remind now"; when the automatic reminder is due it counts as sent."""
    now = now or utcnow()
    if not evaluation.accepts_evaluator_input(now):
        raise EvaluationError(_("Reminders go out only while evaluators can still score."))
    people = pending_evaluators(evaluation)
    if not people:
        raise EvaluationError(_("Every evaluator has scored everything: nobody to remind."))
    if evaluation.reminded_at is None and is_reminder_due(evaluation, now):
        evaluation.reminded_at = now
    return _queue(evaluation, people)


def email_of(row: EvaluatorMessage) -> EmailMessage:
    """The e-mail of a queued row, composed again (the body, holding the link, is never stored)."""
    composed = compose(row.evaluator)
    return mail.envelope(subject=composed.subject, body=composed.body, to_name=row.evaluator.name,
                         to_addr=row.recipient, reply_to=getattr(row.evaluator.evaluation.study.owner, "email", None))


def finish(outcome: Outcome, *, study, actor: str | None = None, manual: bool = False) -> Outcome:
    """Deliver the queued rows and audit the outcome (flushes; the caller commits)."""
    mail.deliver(outcome.rows, build=email_of)
    details = outcome.to_dict() | ({"manual": True} if manual else {})
    audit.record("evaluation.remind", study=study, target=f"evaluation:{outcome.evaluation_id}", actor=actor,
                 details=details)
    return outcome


def messages_of(evaluation: Evaluation, *, limit: int = 200) -> list[EvaluatorMessage]:
    return list(db.session.scalars(select(EvaluatorMessage).where(EvaluatorMessage.evaluation_id == evaluation.id)
                                   .order_by(EvaluatorMessage.id.desc()).limit(limit)))
