"""Invitation links that can be shown again: the link of each expert, its QR code,
the text to paste into an instant message, the printable sheet and the CSV.

A token is HMAC(secret key, expert id + link generation) (``invitation_token`` in
``webapp.models.study``); only its SHA-256 is stored. The page computes the
current link again whenever the coordinator looks, so showing or downloading
links never changes them; "New link" moves one expert to the next generation
(the old link is refused) and "Revoke" keeps working as before.

The link carries the token in the URL *fragment* (``https://host/i#<token>``):
browsers never send a fragment to the server, so the token stays out of access
logs (gunicorn's, a reverse proxy's) and out of ``Referer`` headers; the page
``/i`` posts it to exchange it for a session (``webapp/auth/routes.py``).
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Expert, Round, RoundStatus, Study
from webapp.services import audit, spreadsheet, timezones


@dataclass
class Link:
    """One expert's current link (``url`` None: revoked, or issued before links were
    re-displayable and to be reissued)."""

    expert: Expert
    url: str | None

    @property
    def needs_reissue(self) -> bool:
        return self.url is None and not self.expert.is_revoked


#: The base URL of the page being served, bound by the web layer (``bind_base_url``).
_request_base: ContextVar[str | None] = ContextVar("concordia_request_base", default=None)


def bind_base_url(url: str):
    """The address the coordinator uses (e.g. ``request.url_root``), for links built during
    this request when PUBLIC_BASE_URL is not set; returns the token for :func:`unbind_base_url`."""
    return _request_base.set(url.rstrip("/"))


def unbind_base_url(token) -> None:
    try:
        _request_base.reset(token)
    except ValueError:
        _request_base.set(None)


def base_url() -> str:
    """PUBLIC_BASE_URL when set (it wins over the request's host), else the bound request's
    base URL, else the development server's."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    return _request_base.get() or "http://127.0.0.1:5000"


def invitation_url(token: str) -> str:
    """The link an expert opens: the token in the fragment, never sent to the server."""
    return base_url() + "/i#" + token


def link_of(expert: Expert) -> Link:
    token = expert.current_token()
    return Link(expert, invitation_url(token) if token else None)


def links_of(study: Study, expert_ids: list[int] | None = None) -> list[Link]:
    experts = db.session.scalars(select(Expert).where(Expert.study_id == study.id)).all()
    experts = sorted(experts, key=lambda e: (len(e.pseudonym), e.pseudonym))
    if expert_ids:
        wanted = set(expert_ids)
        experts = [e for e in experts if e.id in wanted]
    return [link_of(expert) for expert in experts]


def qr_data_uri(url: str, *, scale: int = 4) -> str:
    """The link as a QR code (SVG data URI; error correction M, as WeChat scans it)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=scale, border=2)


def expert_locale(expert: Expert) -> str:
    return expert.locale or expert.study.default_locale or "en"


def open_round(study: Study) -> Round | None:
    return db.session.scalar(select(Round).where(Round.study_id == study.id, Round.status == RoundStatus.open)
                             .order_by(Round.number.desc()).limit(1))


def deadline_text(study: Study, closes_at: datetime | None) -> str | None:
    """The deadline in the study's time zone, the zone named."""
    return timezones.format_in(closes_at, study.time_zone) if closes_at else None


def im_text(expert: Expert, url: str, *, locale: str | None = None) -> str:
    """A short message for WeChat or another messenger, in the expert's language."""
    study = expert.study
    locale = locale or expert_locale(expert)
    rnd = open_round(study)
    with force_locale(locale):
        lines = [
            _("Dear %(name)s,", name=expert.name) if expert.name
            else _("Dear expert %(pseudonym)s,", pseudonym=expert.pseudonym),
            _("You are invited to the expert consultation “%(study)s”.", study=study.title),
            _("Your personal link (please do not forward it): %(url)s", url=url),
        ]
        if rnd is not None and rnd.closes_at is not None:
            lines.append(_("Please answer by %(deadline)s.", deadline=deadline_text(study, rnd.closes_at)))
        lines.append(_("Your expert number: %(pseudonym)s", pseudonym=expert.pseudonym))
    return "\n".join(lines)


def sheet(expert: Expert, *, locale: str | None = None) -> dict:
    """What the printable invitation sheet shows (None link: nothing to print)."""
    link = link_of(expert)
    study = expert.study
    rnd = open_round(study)
    return {
        "expert": expert, "study": study, "url": link.url, "locale": locale or expert_locale(expert),
        "qr": qr_data_uri(link.url, scale=6) if link.url else None,
        "deadline": deadline_text(study, rnd.closes_at) if rnd is not None else None,
    }


def record_shown(study: Study, what: str, count: int) -> None:
    """Showing or downloading links is audited (who saw which links, when)."""
    audit.record(f"expert.links_{what}", study=study, details={"experts": count})


def links_csv(links: list[Link]) -> bytes:
    """Expert number, name, e-mail, organisation, language, link — UTF-8 with BOM so Excel
    reads Chinese, every cell through the one formula guard. Downloading never changes a link."""
    header = [_("Expert number"), _("Name"), _("E-mail"), _("Organisation"), _("Language"), _("Invitation link")]
    rows = ([link.expert.pseudonym, link.expert.name, link.expert.email or "", link.expert.organisation,
             expert_locale(link.expert), link.url] for link in links if link.url is not None)
    return spreadsheet.csv_bytes(header, rows)
