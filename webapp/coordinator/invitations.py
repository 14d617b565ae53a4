"""Invitation links and e-mails: the links page (copy, QR, instant-message text), the
links CSV, the printable sheet per expert, the invitation e-mail (preview, send) and
the delivery table. Links can be shown any number of times: showing changes nothing.
"""
from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from webapp.coordinator.blueprint import bp
from webapp.coordinator.routes import get_study_or_404
from webapp.extensions import db
from webapp.forms.base import choices
from webapp.forms.setup import InvitationForm
from webapp.models import DeliveryStatus, MessageKind
from webapp.services import invitations, mail, messaging, notifications, panel
from webapp.services.messaging import MessagingError

log = logging.getLogger("webapp.coordinator")


@bp.context_processor
def _problems():
    """The study pages' banner: the scheduler's failures and failed e-mails of this study."""
    return {"study_problems": messaging.problems}


def _ids(text: str | None) -> list[int]:
    return [int(part) for part in (text or "").split(",") if part.strip().isdigit()][:1000]


@bp.route("/<int:study_id>/panel/links")
def panel_links(study_id: int):
    study = get_study_or_404(study_id)
    chosen = _ids(request.args.get("experts"))
    links = invitations.links_of(study, chosen or None)
    rows = [(link, invitations.qr_data_uri(link.url) if link.url else None,
             invitations.im_text(link.expert, link.url) if link.url else None) for link in links]
    invitations.record_shown(study, "shown", sum(1 for link in links if link.url))
    db.session.commit()
    return render_template("coordinator/setup/links.html", study=study, rows=rows, chosen=bool(chosen),
                           deliveries=messaging.latest_by_expert(study),
                           status_labels=messaging.status_labels())


@bp.route("/<int:study_id>/panel/links.csv")
def panel_links_csv(study_id: int):
    """Every current link as CSV. Downloading changes no link."""
    study = get_study_or_404(study_id)
    links = invitations.links_of(study)
    invitations.record_shown(study, "downloaded", sum(1 for link in links if link.url))
    db.session.commit()
    return Response(invitations.links_csv(links), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="study-{study.id}-invitation-links.csv"'})


@bp.route("/<int:study_id>/panel/<int:expert_id>/sheet")
def expert_sheet(study_id: int, expert_id: int):
    """A printable invitation (A4 or a phone screen): welcome, QR code, link, deadline,
    in the expert's language unless ``?sheet_lang=`` says otherwise."""
    study = get_study_or_404(study_id)
    expert = panel.expert_of(study, expert_id)
    if expert is None:
        abort(404)
    locale = request.args.get("sheet_lang")
    data = invitations.sheet(expert, locale=locale if locale in ("en", "zh") else None)
    with force_locale(data["locale"]):
        return render_template("coordinator/setup/sheet.html", **data)


# --- invitation e-mails ------------------------------------------------------------------

def _render_invite(study, form, *, previews=None, status=200):
    experts = sorted((e for e in study.experts if not e.is_revoked), key=lambda e: (len(e.pseudonym), e.pseudonym))
    form.experts.choices = choices([(e.id, e.pseudonym) for e in experts])
    return render_template(
        "coordinator/setup/invite.html", study=study, form=form, experts=experts, previews=previews or [],
        smtp=mail.smtp_configured(), deliveries=messaging.latest_by_expert(study),
        status_labels=messaging.status_labels()), status


@bp.route("/<int:study_id>/invitations", methods=["GET", "POST"])
def invite(study_id: int):
    """Mail merge: the welcome text, the recipients, a preview of every message, then send."""
    study = get_study_or_404(study_id)
    if request.method == "GET":
        return _render_invite(study, InvitationForm(data={"welcome_text": study.welcome_text}))
    form = InvitationForm(request.form)
    if not form.validate():
        return _render_invite(study, form, status=400)
    try:
        messaging.set_welcome_text(study, form.welcome_text.data or "")
        experts = messaging.recipients(study, form.recipients.data, form.experts.data)
    except MessagingError as exc:
        db.session.rollback()
        form.recipients.errors = [str(exc)]
        return _render_invite(study, form, status=400)
    if request.form.get("action") != "send":
        # The preview shows the text as typed; nothing is kept until "Send".
        previews = [mail.compose(MessageKind.invitation, expert, invitations.open_round(study))
                    for expert in experts]
        page = _render_invite(study, form, previews=previews)
        db.session.rollback()
        return page
    outcome = notifications.queue_invitations(study, experts)
    db.session.commit()  # queued: from here on nothing is sent twice
    try:
        notifications.finish(outcome, study=study)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the rows stay queued; the page says so
        db.session.rollback()
        log.exception("invitations of study %s: delivery failed", study.id)
    return after_sending(study, outcome, _("Invitations sent to %(n)s experts.", n=outcome.sent))


def after_sending(study, outcome, sent_text: str, *, back=None):
    """Say exactly what happened; with nothing sent, offer the messages to copy."""
    ids = ",".join(str(row.id) for row in outcome.rows)
    if outcome.not_sent:
        flash(_("Nothing was sent: no mail server is configured. Copy these %(n)s messages into your own "
                "e-mail or messenger.", n=outcome.not_sent), "warning")
        return redirect(url_for("coordinator.messages_copy", study_id=study.id, ids=ids))
    parts = [sent_text]
    if outcome.failed:
        parts.append(_("%(n)s failed: %(errors)s", n=outcome.failed, errors="; ".join(outcome.errors[:3])))
    if outcome.without_email:
        parts.append(_("%(n)s without an e-mail address got nothing.", n=outcome.without_email))
    flash(" ".join(parts), "warning" if outcome.failed or outcome.without_email else "success")
    return redirect(back or url_for("coordinator.messages_page", study_id=study.id))


@bp.route("/<int:study_id>/messages")
def messages_page(study_id: int):
    study = get_study_or_404(study_id)
    return render_template("coordinator/setup/messages.html", study=study, rows=messaging.messages_of(study),
                           status_labels=messaging.status_labels(), kind_labels=messaging.kind_labels(),
                           smtp=mail.smtp_configured())


@bp.route("/<int:study_id>/messages/copy")
def messages_copy(study_id: int):
    """The messages of a batch composed again, to copy by hand when nothing was sent."""
    study = get_study_or_404(study_id)
    rows = messaging.rows_by_ids(study, _ids(request.args.get("ids")))
    rows = [row for row in rows if row.status in (DeliveryStatus.not_sent, DeliveryStatus.failed,
                                                   DeliveryStatus.queued)]
    return render_template("coordinator/setup/messages_copy.html", study=study,
                           composed=mail.composed_for(rows), smtp=mail.smtp_configured())
