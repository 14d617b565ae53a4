"""Helpers shared by the set-up tests (test_setup_*.py), and the tests of the helpers' services."""
from __future__ import annotations

import re

from sqlalchemy import select
from tests.helpers import snapshot

from webapp.extensions import db

ALICE = "alice"


def alice_id(app) -> int:
    from webapp.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == ALICE))


def answer_a_round(app, study_id: int) -> None:
    """A round with one item, one response and one rating, written directly."""
    from webapp.models import Node, Rating, Response, Round, RoundItem, RoundStatus, Study
    from webapp.services import studies

    with app.app_context():
        study = db.session.get(Study, study_id)
        node = db.session.scalar(select(Node).where(Node.study_id == study_id, Node.code == "A1"))
        invitation = studies.add_expert(study, name="Rater", email="rater@example.org")
        round_ = Round(study=study, number=1, status=RoundStatus.open)
        db.session.add(round_)
        db.session.flush()
        db.session.add(RoundItem(round=round_, node_id=node.id, position=0))
        response = Response(expert=invitation.expert, round=round_)
        db.session.add(response)
        db.session.flush()
        db.session.add(Rating(response=response, node_id=node.id, value=4))
        db.session.commit()


def node_id(app, study_id: int, code: str) -> int:
    from webapp.models import Node

    with app.app_context():
        return db.session.scalar(select(Node.id).where(Node.study_id == study_id, Node.code == code))


def tree(app, study_id: int) -> dict:
    """{code: (parent code, position)} of the stored tree."""
    from webapp.models import Node

    with app.app_context():
        nodes = db.session.scalars(select(Node).where(Node.study_id == study_id)).all()
        return {n.code: (n.parent.code if n.parent else None, n.position) for n in nodes}


def children_codes(app, study_id: int, code: str) -> list[str]:
    from webapp.models import Node

    with app.app_context():
        parent = db.session.scalar(select(Node).where(Node.study_id == study_id, Node.code == code))
        return [c.code for c in sorted(parent.children, key=lambda c: c.position)]


def links_in(html: str) -> list[str]:
    """The invitation links shown on a page (``http://localhost/i#<token>``)."""
    return re.findall(r'value="(http://localhost/i#[^"]+)"', html)


def open_link(client, url: str):
    """Open an invitation link as a browser does: ``/i#<token>`` loads ``/i`` (the fragment
    stays in the browser) and the page's script posts the token; ``/i/<token>`` (older
    links) is a plain GET."""
    path = url.replace("http://localhost", "")
    if "#" in path:
        page, token = path.split("#", 1)
        assert client.get(page).status_code == 200
        return client.post(page, data={"token": token})
    return client.get(path)


def test_snapshot_sees_a_change(app, make_study):
    study_id = make_study()
    before = snapshot(app)
    answer_a_round(app, study_id)
    assert snapshot(app) != before
