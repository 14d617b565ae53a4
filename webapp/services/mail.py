"""E-mails to experts: invitations, reminders and "a new round is open" notices.

Every message carries the expert's personal link, the study's welcome text (for
invitations) and the deadline in the study's time zone, in the expert's language.

Delivery is at most once and isolated per message: ``queue()`` writes one
``Message`` row per expert (status *queued*), the caller commits, then
``deliver()`` sends each and records *sent* or *failed* with the mail server's
answer; one refused message never stops the others. With no ``SMTP_HOST`` the
rows become *not sent* and the page offers the messages to copy: nothing claims
to have been sent. Bodies are never stored (they hold the link); they are
composed again for the preview and the copy page.

Header values (subject, names) are sanitised: a line break in a study title or an
expert's name is folded into a space instead of raising (header injection).
"""
from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.extensions import db
from webapp.models import DeliveryStatus, Expert, Message, MessageKind, Round, RoundKind, utcnow
from webapp.services import invitations

log = logging.getLogger("webapp.mail")

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_safe(text: str | None, *, limit: int = 300) -> str:
    """One line: control characters (CR, LF, tab, NUL …) become a space; trimmed."""
    return re.sub(r" {2,}", " ", _CONTROL.sub(" ", text or "")).strip()[:limit]


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


@dataclass
class Composed:
    expert: Expert
    kind: MessageKind
    subject: str
    body: str
    locale: str

    @property
    def recipient(self) -> str:
        return self.expert.email or ""


def _greeting(expert: Expert) -> str:
    return (_("Dear %(name)s,", name=header_safe(expert.name)) if expert.name
            else _("Dear expert %(pseudonym)s,", pseudonym=expert.pseudonym))


def compose(kind: MessageKind, expert: Expert, rnd: Round | None = None) -> Composed:
    """The message for one expert, in their language (else the study's)."""
    study = expert.study
    locale = invitations.expert_locale(expert)
    link = invitations.link_of(expert).url
    title = header_safe(study.title)
    with force_locale(locale):
        deadline = invitations.deadline_text(study, rnd.closes_at) if rnd is not None and rnd.closes_at else None
        parts = [_greeting(expert)]
        if kind is MessageKind.invitation:
            subject = _("Invitation to the expert consultation “%(study)s”", study=title)
            parts.append(_("You are invited to take part as an expert in the consultation “%(study)s”.",
                           study=title))
            if study.welcome_text.strip():
                parts.append(study.welcome_text.strip())
        elif kind is MessageKind.round_open:
            subject = _("Round %(n)s of “%(study)s” is open", n=rnd.number, study=title)
            if rnd.kind is RoundKind.delphi and rnd.number > 1:  # feedback needs a previous round
                parts.append(_("Round %(n)s of the expert consultation “%(study)s” is open. You will see the "
                               "group's anonymous results of the previous round beside your own answers.",
                               n=rnd.number, study=title))
            else:
                parts.append(_("Round %(n)s of the expert consultation “%(study)s” is open.",
                               n=rnd.number, study=title))
        else:
            subject = (_("Reminder: round %(n)s of “%(study)s” closes %(deadline)s",
                         n=rnd.number, study=title, deadline=deadline) if deadline
                       else _("Reminder: round %(n)s of “%(study)s”", n=rnd.number, study=title))
            parts.append(_("We have not received your questionnaire for round %(n)s of “%(study)s” yet. "
                           "Answers you have already given are saved; finish the remaining items and submit.",
                           n=rnd.number, study=title))
        if deadline:
            parts.append(_("Please answer by %(deadline)s.", deadline=deadline))
        if link:
            parts.append(_("Your personal link (please do not forward it):") + "\n" + link)
        else:
            parts.append(_("Your link has been withdrawn; the coordinator will send you a new one."))
        parts += [_("Thank you for your expertise."),
                  _("Your expert number: %(pseudonym)s", pseudonym=expert.pseudonym)]
    return Composed(expert, kind, header_safe(subject, limit=390), "\n\n".join(parts) + "\n", locale)


def envelope(*, subject: str, body: str, to_name: str, to_addr: str, reply_to: str | None = None) -> EmailMessage:
    """The e-mail around a composed subject and body (every kind of recipient: experts, evaluators)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = header_safe(current_app.config.get("SMTP_FROM") or "concordia@localhost")
    msg["To"] = Address(display_name=header_safe(to_name, limit=120), addr_spec=to_addr)
    if reply_to:
        msg["Reply-To"] = header_safe(reply_to)
    msg["Message-ID"] = make_msgid(domain="concordia")
    msg.set_content(body)
    return msg


def email_message(composed: Composed) -> EmailMessage:
    return envelope(subject=composed.subject, body=composed.body,
                    to_name=composed.expert.name or composed.expert.pseudonym, to_addr=composed.recipient,
                    reply_to=getattr(composed.expert.study.owner, "email", None))


class Tally:
    """What happened to a batch of queued rows (``rows``; ``without_email``: people skipped for want of
    an address): ``sent`` counts only messages the mail server took."""

    rows: list
    without_email: int

    def count(self, status: DeliveryStatus) -> int:
        return sum(1 for row in self.rows if row.status is status)

    @property
    def sent(self) -> int:
        return self.count(DeliveryStatus.sent)

    @property
    def not_sent(self) -> int:
        return self.count(DeliveryStatus.not_sent)

    @property
    def failed(self) -> int:
        return self.count(DeliveryStatus.failed)

    @property
    def errors(self) -> list[str]:
        return sorted({row.error for row in self.rows if row.status is DeliveryStatus.failed and row.error})

    def to_dict(self) -> dict:
        return {"sent": self.sent, "not_sent": self.not_sent, "failed": self.failed,
                "without_email": self.without_email}


# --- queueing and delivering ------------------------------------------------------------------

def queue(kind: MessageKind, experts: list[Expert], rnd: Round | None = None) -> list[Message]:
    """One queued row per expert with an e-mail address (the caller commits)."""
    rows = []
    for expert in experts:
        if not expert.email or expert.is_revoked:
            continue
        try:
            composed = compose(kind, expert, rnd)
        except Exception as exc:  # noqa: BLE001 - recorded on the row, the others go on
            log.exception("message to %s of study %s could not be written", expert.pseudonym, expert.study_id)
            rows.append(Message(study_id=expert.study_id, expert=expert, round_id=rnd.id if rnd else None,
                                kind=kind, recipient=expert.email[:254], status=DeliveryStatus.failed,
                                error=header_safe(str(exc), limit=1000)))
            continue
        rows.append(Message(study_id=expert.study_id, expert=expert, round_id=rnd.id if rnd else None, kind=kind,
                            recipient=expert.email[:254], subject=composed.subject, locale=composed.locale,
                            status=DeliveryStatus.queued))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _connect():
    config = current_app.config
    smtp = smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25), timeout=30)
    if config.get("SMTP_STARTTLS"):
        smtp.starttls()
    if config.get("SMTP_USERNAME"):
        smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    return smtp


def deliver(rows: list, *, build: Callable[[Any], EmailMessage] | None = None) -> dict[str, int]:
    """Send the queued rows (of any table with the ``Delivery`` columns: ``Message``,
    ``EvaluatorMessage``), one at a time over one connection; each row ends sent, failed (with the
    error) or not sent (no SMTP). ``build(row)`` composes a row's e-mail again (default: an expert's
    ``Message``). Flushes; the caller commits. Returns counts by status."""
    build = build or _expert_email
    queued = [row for row in rows if row.status is DeliveryStatus.queued]
    if queued and not smtp_configured():
        for row in queued:
            row.status = DeliveryStatus.not_sent
            row.error = ""
    elif queued:
        smtp = None
        try:
            smtp = _connect()
        except (OSError, smtplib.SMTPException) as exc:
            for row in queued:
                row.status, row.error = DeliveryStatus.failed, header_safe(
                    f"{current_app.config['SMTP_HOST']}: {exc}", limit=1000)
        if smtp is not None:
            try:
                for row in queued:
                    _send_one(smtp, row, build)
            finally:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass
    db.session.flush()
    counts = {status.value: 0 for status in DeliveryStatus}
    for row in rows:
        counts[row.status.value] += 1
    return counts


def _expert_email(row: Message) -> EmailMessage:
    return email_message(compose(row.kind, row.expert, row.round))


def _send_one(smtp, row, build: Callable[[Any], EmailMessage]) -> None:
    try:
        smtp.send_message(build(row))
    except Exception as exc:  # noqa: BLE001 - this message fails, the next one is tried
        row.status, row.error = DeliveryStatus.failed, header_safe(str(exc), limit=1000) or type(exc).__name__
        log.warning("%s %s not sent: %s", row.__tablename__, row.id, exc)
        return
    row.status, row.sent_at, row.error = DeliveryStatus.sent, utcnow(), ""
    log.info("%s %s e-mailed", row.__tablename__, row.id)


def composed_for(rows: list[Message]) -> list[Composed]:
    """The messages of these rows composed again (for the copy page when nothing was sent)."""
    return [compose(row.kind, row.expert, row.round) for row in rows]
