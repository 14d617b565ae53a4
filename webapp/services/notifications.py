"""Reminder e-mails to experts who have not submitted a round yet.

Invitation tokens are stored hashed, so a reminder cannot carry the expert's
link: it asks them to use the link from their invitation e-mail (or to ask
the coordinator for a new one).

Sending is claimed before it happens: ``reminded_at`` is set by a conditional
UPDATE (``WHERE reminded_at IS NULL``), so of two sweeps racing over the same
round exactly one sends. With no ``SMTP_HOST`` configured every reminder is
written to the application log instead. Services flush; the caller commits.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Expert, Response, ResponseStatus, Round, RoundStatus, utcnow
from webapp.services import audit
from webapp.services.round_lifecycle import RoundError


log = logging.getLogger("webapp.notifications")

BEIJING = timezone(timedelta(hours=8))


class DeliveryError(RuntimeError):
    """The mail server could not be reached: nothing was sent."""


@dataclass
class Outcome:
    round_id: int
    sent: int = 0
    logged: int = 0
    without_email: int = 0
    failed: int = 0

    @property
    def delivered(self) -> int:
        return self.sent + self.logged


# --- who and when -------------------------------------------------------------------------

def pending_experts(rnd: Round) -> list[Expert]:
    """Experts with an active link who have not submitted this round."""
    submitted = set(db.session.scalars(select(Response.expert_id).where(
        Response.round_id == rnd.id, Response.status == ResponseStatus.submitted)))
    return [e for e in sorted(rnd.study.experts, key=lambda e: e.pseudonym)
            if not e.is_revoked and e.id not in submitted]


def reminder_due_at(rnd: Round) -> datetime | None:
    if rnd.reminder_hours is None or rnd.closes_at is None:
        return None
    return rnd.closes_at - timedelta(hours=rnd.reminder_hours)


def is_reminder_due(rnd: Round, now: datetime) -> bool:
    due = reminder_due_at(rnd)
    return (rnd.status is RoundStatus.open and rnd.reminded_at is None and due is not None
            and due <= now < rnd.closes_at)


def _claim(rnd: Round, now: datetime) -> bool:
    """Set ``reminded_at`` if nobody has: True for exactly one caller."""
    result = db.session.execute(
        update(Round).where(Round.id == rnd.id, Round.reminded_at.is_(None), Round.status == RoundStatus.open)
        .values(reminded_at=now).execution_options(synchronize_session=False))
    db.session.refresh(rnd)
    return result.rowcount == 1


def _unclaim(rnd: Round, now: datetime) -> None:
    db.session.execute(update(Round).where(Round.id == rnd.id, Round.reminded_at == now)
                       .values(reminded_at=None).execution_options(synchronize_session=False))
    db.session.refresh(rnd)


# --- the scheduler's job ------------------------------------------------------------------

def send_due_reminders(*, now: datetime | None = None) -> list[Outcome]:
    """Remind the pending experts of every open round whose reminder time has come, once."""
    now = now or utcnow()
    candidates = db.session.scalars(select(Round).where(
        Round.status == RoundStatus.open, Round.reminder_hours.is_not(None), Round.reminded_at.is_(None),
        Round.closes_at.is_not(None), Round.closes_at > now)).all()
    outcomes = []
    for rnd in candidates:
        if not is_reminder_due(rnd, now) or not _claim(rnd, now):
            continue
        try:
            outcome = _deliver(rnd, pending_experts(rnd))
        except DeliveryError as exc:
            _unclaim(rnd, now)  # the next sweep tries again
            log.error("reminders for round %s of study %s not sent: %s", rnd.number, rnd.study_id, exc)
            continue
        audit.record("round.remind", study=rnd.study, target=f"round:{rnd.number}", actor="system",
                     details={"sent": outcome.delivered, "without_email": outcome.without_email,
                              "failed": outcome.failed})
        outcomes.append(outcome)
    return outcomes


# --- the coordinator's button ---------------------------------------------------------------

def send_reminders_now(rnd: Round, *, now: datetime | None = None) -> Outcome:
    """Remind the pending experts of an open round at once.

    When the automatic reminder is already due it counts as sent, so the
    scheduler does not repeat it a minute later.
    """
    now = now or utcnow()
    if not rnd.accepts_answers(now):
        raise RoundError(_("Reminders go out only while the round is open."))
    experts = pending_experts(rnd)
    if not experts:
        raise RoundError(_("Every expert has submitted: nobody to remind."))
    claimed = is_reminder_due(rnd, now) and _claim(rnd, now)
    try:
        outcome = _deliver(rnd, experts)
    except DeliveryError as exc:
        if claimed:
            _unclaim(rnd, now)
        raise RoundError(_("The reminders could not be sent: %(why)s", why=str(exc))) from exc
    audit.record("round.remind", study=rnd.study, target=f"round:{rnd.number}",
                 details={"sent": outcome.delivered, "without_email": outcome.without_email,
                          "failed": outcome.failed, "manual": True})
    return outcome


# --- composing and delivering -----------------------------------------------------------------

def _deadline_text(closes_at: datetime, locale: str) -> str:
    utc = closes_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    if locale == "zh":
        beijing = closes_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return _("%(local)s Beijing time (%(utc)s UTC)", local=beijing, utc=utc)
    return _("%(utc)s UTC", utc=utc)


def compose(rnd: Round, expert: Expert) -> EmailMessage:
    """The reminder for one expert, in their language (else the study's)."""
    locale = expert.locale or rnd.study.default_locale or "en"
    with force_locale(locale):
        deadline = _deadline_text(rnd.closes_at, locale) if rnd.closes_at else _("soon")
        greeting = (_("Dear %(name)s,", name=expert.name) if expert.name
                    else _("Dear expert %(pseudonym)s,", pseudonym=expert.pseudonym))
        subject = _("Reminder: round %(n)s of “%(study)s” closes %(deadline)s",
                    n=rnd.number, study=rnd.study.title, deadline=deadline)
        body = "\n\n".join([
            greeting,
            _("Round %(n)s of the expert consultation “%(study)s” closes on %(deadline)s, "
              "and we have not received your questionnaire yet.", n=rnd.number, study=rnd.study.title,
              deadline=deadline),
            _("Please open the questionnaire with the personal link in your invitation e-mail. "
              "Answers you have already given are saved; finish the remaining items and submit."),
            _("For your anonymity the link is not repeated in this e-mail. If you cannot find it, "
              "reply to this message and the coordinator will send you a new link."),
            _("Thank you for your expertise."),
            _("Your expert number: %(pseudonym)s", pseudonym=expert.pseudonym),
        ]) + "\n"
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = current_app.config.get("SMTP_FROM") or "concordia@localhost"
    msg["To"] = formataddr((expert.name or expert.pseudonym, expert.email or ""))
    owner_email = getattr(rnd.study.owner, "email", None)
    if owner_email:
        msg["Reply-To"] = owner_email
    msg["Message-ID"] = make_msgid(domain="concordia")
    msg.set_content(body)
    return msg


def _deliver(rnd: Round, experts: list[Expert]) -> Outcome:
    outcome = Outcome(round_id=rnd.id)
    messages = []
    for expert in experts:
        if not expert.email:
            outcome.without_email += 1
            log.warning("round %s of study %s: expert %s has no e-mail address and is not reminded",
                        rnd.number, rnd.study_id, expert.pseudonym)
            continue
        messages.append((expert, compose(rnd, expert)))
    config = current_app.config
    host = config.get("SMTP_HOST")
    if not host:
        for expert, msg in messages:
            log.warning("reminder (no SMTP_HOST set, not e-mailed) for expert %s of study %s, round %s\n"
                     "To: %s\nSubject: %s\n\n%s", expert.pseudonym, rnd.study_id, rnd.number,
                     msg["To"], msg["Subject"], msg.get_content())
            outcome.logged += 1
        return outcome
    if not messages:
        return outcome
    try:
        smtp = smtplib.SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=30)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{host}: {exc}") from exc
    try:
        try:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{host}: {exc}") from exc
        for expert, msg in messages:
            try:
                smtp.send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                outcome.failed += 1
                log.warning("reminder to expert %s of study %s refused by the mail server: %s",
                            expert.pseudonym, rnd.study_id, exc)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                if outcome.sent == 0:
                    raise DeliveryError(f"{host}: {exc}") from exc
                outcome.failed += 1
                log.warning("reminder to expert %s of study %s not sent: %s", expert.pseudonym, rnd.study_id, exc)
                continue
            outcome.sent += 1
            log.info("reminder e-mailed to expert %s of study %s, round %s", expert.pseudonym, rnd.study_id,
                     rnd.number)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return outcome
