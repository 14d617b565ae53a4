"""The scheduler's sweep: opening due rounds, closing expired ones, one study's failure kept to itself."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import AuditEvent, Round, RoundStatus, Study, User, utcnow
from webapp.services import round_lifecycle, round_scope

from tests.webapp.scheduler_support import open_round, status_of
from tests.webapp.scheduler_support import fake_smtp, smtp_server, study_id  # noqa: F401 (fixtures)


# --- the sweep ------------------------------------------------------------------------------------

def test_a_due_round_nobody_can_answer_stays_a_draft(app, make_study):
    from webapp.scheduler import sweep

    sid = make_study()
    with app.app_context():
        rnd = round_scope.create_delphi_round(db.session.get(Study, sid), rated_level=1, opens_at=utcnow() - timedelta(minutes=1))
        db.session.commit()
        rid = rnd.id
    assert sweep(app).opened == [] and status_of(app, rid) is RoundStatus.draft


def test_one_sweep_opens_a_due_round_and_closes_an_expired_one(app, make_study, make_expert):
    from webapp.scheduler import sweep

    due_sid, expired_sid = make_study(), make_study()
    make_expert(due_sid)
    make_expert(expired_sid)
    now = utcnow()
    with app.app_context():
        due = round_scope.create_delphi_round(db.session.get(Study, due_sid), rated_level=1,
                                  opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=3))
        later = round_scope.create_delphi_round(db.session.get(Study, expired_sid), rated_level=1,
                                    opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=3))
        db.session.commit()
        due_id, later_id = due.id, later.id
    expired_id = None
    with app.app_context():
        # the second study's round: opened by hand, and its deadline is behind us
        db.session.execute(update(Round).where(Round.id == later_id).values(opens_at=None))
        rnd = db.session.get(Round, later_id)
        round_lifecycle.open_round(rnd)
        db.session.execute(update(Round).where(Round.id == later_id)
                           .values(closes_at=now - timedelta(minutes=2)))
        db.session.commit()
        expired_id = later_id
    result = sweep(app)
    assert result.opened == [due_id] and result.closed == [expired_id]
    assert status_of(app, due_id) is RoundStatus.open
    assert status_of(app, expired_id) is RoundStatus.closed
    again = sweep(app)
    assert again.opened == [] and again.closed == []
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.close")) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "round.open")) == 2


def test_a_failing_study_is_rolled_back_alone_and_shown_to_its_coordinator(app, make_study, make_expert,
                                                                           monkeypatch, caplog, coordinator_client):
    """Issue 15: one study's error used to roll back the whole sweep, so no other study's
    round ever opened. Now each study's step has its own transaction."""
    from webapp.scheduler import sweep

    with app.app_context():
        alice = db.session.scalar(select(User.id).where(User.username == "alice"))
    broken_sid, fine_sid = make_study(alice, title="Broken"), make_study(title="Fine")
    for sid in (broken_sid, fine_sid):
        make_expert(sid)  # a round opens only with somebody to answer it
    now = utcnow()
    with app.app_context():
        broken = round_scope.create_delphi_round(db.session.get(Study, broken_sid), rated_level=1,
                                     opens_at=now - timedelta(minutes=1))
        fine = round_scope.create_delphi_round(db.session.get(Study, fine_sid), rated_level=1, opens_at=now - timedelta(minutes=1))
        db.session.commit()
        broken_id, fine_id = broken.id, fine.id
    real_open = round_lifecycle.open_due_rounds

    def open_due(*, now=None, study_id=None):
        opened = real_open(now=now, study_id=study_id)
        if study_id == broken_sid:
            raise RuntimeError("constraint violated in study Broken")
        return opened

    monkeypatch.setattr(round_lifecycle, "open_due_rounds", open_due)
    result = sweep(app)
    assert result.opened == [fine_id] and list(result.failed) == [broken_sid]
    assert status_of(app, fine_id) is RoundStatus.open
    assert status_of(app, broken_id) is RoundStatus.draft  # its own step rolled back
    assert "constraint violated in study Broken" in caplog.text
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "scheduler.failed")).all()
        assert event.study_id == broken_sid and "constraint violated" in event.details["error"]
    page = coordinator_client.get(f"/studies/{broken_sid}?lang=en").get_data(as_text=True)
    assert "The scheduler could not complete “open/close” for this study" in page
    assert "constraint violated in study Broken" in page


def test_a_line_break_in_a_title_or_name_no_longer_stops_the_sweep(app, make_study, make_expert, fake_smtp):
    """Issue 15: a line break in a study title or an expert's name made the reminder raise
    (header injection refused) and rolled back every study's sweep. Header values are now
    folded into one line, and the other study's round opens and is announced."""
    from webapp.scheduler import sweep

    odd_sid, other_sid = make_study(title="Line\r\nBcc: victim@example.org"), make_study(title="Other")
    make_expert(odd_sid, name="Wang\nFang", email="wang@example.org")
    make_expert(other_sid, name="Li", email="li@example.org")
    now = utcnow()
    with app.app_context():
        odd = round_scope.create_delphi_round(db.session.get(Study, odd_sid), rated_level=1, closes_at=now + timedelta(hours=10),
                                  reminder_hours=24)
        round_lifecycle.open_round(odd, now=now)
        other = round_scope.create_delphi_round(db.session.get(Study, other_sid), rated_level=1,
                                    opens_at=now - timedelta(minutes=1))
        db.session.commit()
        odd_id, other_id = odd.id, other.id
    result = sweep(app)
    assert result.failed == {}
    assert status_of(app, other_id) is RoundStatus.open and result.reminded == {odd_id: 1}
    reminder = fake_smtp.inbox.to("wang@example.org")[0]
    assert "\n" not in reminder["Subject"] and "Line Bcc: victim@example.org" in reminder["Subject"]
    assert "Wang Fang" in str(reminder["To"])
    assert all("victim@example.org" not in str(m["To"]) + str(m.get("Bcc", "")) for m in fake_smtp.sent)
    assert len(fake_smtp.inbox.to("li@example.org")) == 1  # round-open notice of the other study
    sweep(app)
    assert len(fake_smtp.sent) == 2  # nothing twice


def test_one_refused_message_does_not_stop_the_others(app, study_id, fake_smtp):
    from webapp.models import DeliveryStatus, Message
    from webapp.scheduler import sweep

    fake_smtp.inbox.refuse = {"wang@example.org"}
    rid = open_round(app, study_id)
    assert sweep(app).reminded == {rid: 1}
    assert [str(m["To"]) for m in fake_smtp.sent] == ["Olivia Chen <olivia@example.org>"]
    with app.app_context():
        rows = {r.recipient: r for r in db.session.scalars(select(Message))}
        assert rows["wang@example.org"].status is DeliveryStatus.failed
        assert "550" in rows["wang@example.org"].error and "mailbox unavailable" in rows["wang@example.org"].error
        assert rows["olivia@example.org"].status is DeliveryStatus.sent
