"""The study's e-mails as the coordinator sees them: the delivery table (queued / sent /
failed with the mail server's answer / not sent), the latest message per expert, the
welcome text, and the recipients of an invitation batch. Sending is in
``notifications`` and ``mail``."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, DeliveryStatus, Expert, Message, MessageKind, Study, utcnow
from webapp.services import audit


class MessagingError(ValueError):
    """A refused invitation batch; the message is shown."""


def status_labels() -> dict[str, str]:
    return {DeliveryStatus.queued.value: _("queued"), DeliveryStatus.sent.value: _("sent"),
            DeliveryStatus.failed.value: _("failed"), DeliveryStatus.not_sent.value: _("not sent (no mail server)")}


def kind_labels() -> dict[str, str]:
    return {MessageKind.invitation.value: _("Invitation"), MessageKind.reminder.value: _("Reminder"),
            MessageKind.round_open.value: _("New round open")}


def messages_of(study: Study, *, limit: int = 300) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.study_id == study.id)
                                   .order_by(Message.id.desc()).limit(limit)))


def rows_by_ids(study: Study, ids: list[int]) -> list[Message]:
    if not ids:
        return []
    return list(db.session.scalars(select(Message).where(Message.study_id == study.id, Message.id.in_(ids[:1000]))
                                   .order_by(Message.id)))


def latest_by_expert(study: Study, kind: MessageKind = MessageKind.invitation) -> dict[int, Message]:
    latest: dict[int, Message] = {}
    for row in db.session.scalars(select(Message).where(Message.study_id == study.id, Message.kind == kind)
                                  .order_by(Message.id)):
        latest[row.expert_id] = row
    return latest


def set_welcome_text(study: Study, text: str) -> None:
    text = (text or "").strip()
    if len(text) > 4000:
        raise MessagingError(_("The welcome text is longer than 4,000 characters."))
    if text != study.welcome_text:
        study.welcome_text = text
        db.session.flush()
        audit.record("study.welcome_text", study=study)


def recipients(study: Study, mode: str, chosen: list[int] | None = None) -> list[Expert]:
    """The experts of an invitation batch: ``new`` (never sent an invitation by e-mail),
    ``all`` (every active link) or ``chosen``; only active links with an e-mail address."""
    experts = sorted((e for e in study.experts if not e.is_revoked),
                     key=lambda e: (len(e.pseudonym), e.pseudonym))
    if mode == "new":
        sent = {expert_id for expert_id, row in latest_by_expert(study).items()
                if row.status is DeliveryStatus.sent}
        experts = [e for e in experts if e.id not in sent]
    elif mode == "chosen":
        wanted = set(chosen or [])
        experts = [e for e in experts if e.id in wanted]
    elif mode != "all":
        raise MessagingError(_("Choose to whom the invitations go."))
    with_email = [e for e in experts if e.email]
    if not with_email:
        raise MessagingError(_("None of these experts has an active link and an e-mail address."))
    return with_email


def problems(study: Study, *, days: int = 7) -> dict:
    """What went wrong lately for this study, for the banner on its pages: the scheduler's
    failed steps (audit ``scheduler.failed``) and the e-mails that failed."""
    since = utcnow() - timedelta(days=days)
    failures = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.study_id == study.id, AuditEvent.action == "scheduler.failed", AuditEvent.at >= since)
        .order_by(AuditEvent.id.desc()).limit(3)))
    failed_mail = db.session.scalar(select(func.count(Message.id)).where(
        Message.study_id == study.id, Message.status == DeliveryStatus.failed, Message.created_at >= since))
    return {"scheduler": failures, "failed_mail": failed_mail or 0}
