"""Every rule on stored data is a database constraint, not only Python:
each bad row below is refused by the database itself (raw SQL, no ORM checks)."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db


@pytest.fixture
def rows(app, make_study, make_expert):
    study_id = make_study()
    expert_id, _token = make_expert(study_id, name="Ada")
    with app.app_context():
        node_ids = [r[0] for r in db.session.execute(
            text("SELECT id FROM node WHERE study_id = :s ORDER BY id"), {"s": study_id})]
        db.session.execute(text(
            "INSERT INTO round (study_id, number, kind, title, instructions, status, scale_min, scale_max,"
            " allow_comments, allow_proposals, allow_no_opinion, drop_consensus_items, created_at)"
            " VALUES (:s, 1, 'delphi', '', '', 'open', 1, 5, true, true, true, false, CURRENT_TIMESTAMP)"),
            {"s": study_id})
        round_id = db.session.execute(text("SELECT id FROM round WHERE study_id = :s"), {"s": study_id}).scalar()
        db.session.execute(text(
            "INSERT INTO response (expert_id, round_id, status, created_at, updated_at)"
            " VALUES (:e, :r, 'draft', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"e": expert_id, "r": round_id})
        response_id = db.session.execute(text("SELECT id FROM response")).scalar()
        db.session.commit()
    return {"study": study_id, "expert": expert_id, "round": round_id, "response": response_id,
            "nodes": node_ids}


def refused(app, sql, **params):
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(text(sql), params)
            db.session.flush()
        db.session.rollback()


def accepted(app, sql, **params):
    with app.app_context():
        db.session.execute(text(sql), params)
        db.session.rollback()


RATING = ("INSERT INTO rating (response_id, node_id, value, no_opinion, comment, updated_at)"
          " VALUES (:r, :n, :v, :o, '', CURRENT_TIMESTAMP)")
JUDGMENT = ("INSERT INTO judgment (response_id, parent_node_id, row_node_id, col_node_id, value, updated_at)"
            " VALUES (:r, :p, :a, :b, :v, CURRENT_TIMESTAMP)")


def test_rating_constraints(app, rows):
    r, n = rows["response"], rows["nodes"][1]
    accepted(app, RATING, r=r, n=n, v=4, o=False)
    accepted(app, RATING, r=r, n=n, v=None, o=True)
    refused(app, RATING, r=r, n=n, v=11, o=False)          # off any scale
    refused(app, RATING, r=r, n=n, v=-1, o=False)
    refused(app, RATING, r=r, n=n, v=3, o=True)            # "no opinion" carries no value
    refused(app, RATING, r=r, n=999999, v=3, o=False)      # foreign key
    with app.app_context():
        db.session.execute(text(RATING), {"r": r, "n": n, "v": 4, "o": False})
        db.session.commit()
    refused(app, RATING, r=r, n=n, v=5, o=False)           # one rating per node and response


@pytest.mark.parametrize("value", [0, -1, 10, -10, 17])
def test_judgment_off_the_saaty_scale_is_refused(app, rows, value):
    n = rows["nodes"]
    refused(app, JUDGMENT, r=rows["response"], p=n[0], a=n[1], b=n[2], v=value)


@pytest.mark.parametrize("value", [1, 2, 9, -2, -9])
def test_judgment_on_the_scale_is_accepted(app, rows, value):
    n = rows["nodes"]
    accepted(app, JUDGMENT, r=rows["response"], p=n[0], a=n[1], b=n[2], v=value)


def test_judgment_of_a_node_with_itself_is_refused(app, rows):
    n = rows["nodes"]
    refused(app, JUDGMENT, r=rows["response"], p=n[0], a=n[1], b=n[1], v=3)


def test_study_and_node_constraints(app, rows):
    s = rows["study"]
    refused(app, "INSERT INTO study (title, description, status, owner_id, default_locale, created_at)"
                 " VALUES ('x', '', 'archived', 1, 'zh', CURRENT_TIMESTAMP)")         # unknown status
    refused(app, "INSERT INTO study (title, description, status, owner_id, default_locale, created_at)"
                 " VALUES ('', '', 'draft', 1, 'zh', CURRENT_TIMESTAMP)")             # empty title
    refused(app, "INSERT INTO study (title, description, status, owner_id, default_locale, created_at)"
                 " VALUES ('x', '', 'draft', 424242, 'zh', CURRENT_TIMESTAMP)")       # no such owner
    refused(app, "INSERT INTO node (study_id, code, name_zh, name_en, description_zh, description_en,"
                 " position, status) VALUES (:s, 'A', '', '', '', '', 0, 'active')", s=s)  # duplicate code


def test_round_constraints(app, rows):
    base = ("INSERT INTO round (study_id, number, kind, title, instructions, status, scale_min, scale_max,"
            " allow_comments, allow_proposals, allow_no_opinion, drop_consensus_items, created_at)"
            " VALUES (:s, :num, :kind, '', '', :status, :lo, :hi, true, true, true, false, CURRENT_TIMESTAMP)")
    s = rows["study"]
    refused(app, base, s=s, num=1, kind="delphi", status="draft", lo=1, hi=5)     # number taken
    refused(app, base, s=s, num=0, kind="delphi", status="draft", lo=1, hi=5)     # number >= 1
    refused(app, base, s=s, num=2, kind="survey", status="draft", lo=1, hi=5)     # unknown kind
    refused(app, base, s=s, num=2, kind="delphi", status="paused", lo=1, hi=5)    # unknown status
    refused(app, base, s=s, num=2, kind="delphi", status="draft", lo=5, hi=5)     # empty scale
    refused(app, base, s=s, num=2, kind="delphi", status="draft", lo=1, hi=11)    # scale beyond 10
    accepted(app, base, s=s, num=2, kind="ahp", status="draft", lo=1, hi=9)


def test_expert_constraints(app, rows):
    base = ("INSERT INTO expert (study_id, pseudonym, name, organisation, token_hash, token_issued_at,"
            " field, familiarity, created_at) VALUES (:s, :p, '', '', :h, CURRENT_TIMESTAMP, '', :f, CURRENT_TIMESTAMP)")
    s = rows["study"]
    refused(app, base, s=s, p="E01", h="b" * 64, f=None)              # pseudonym taken in this study
    refused(app, base, s=s, p="E50", h="c" * 64, f="expert")          # unknown familiarity level
    with app.app_context():
        taken = db.session.execute(text("SELECT token_hash FROM expert")).scalar()
    refused(app, base, s=s, p="E51", h=taken, f=None)                 # token hashes are unique
    accepted(app, base, s=s, p="E52", h="d" * 64, f="very")


def test_response_unique_per_expert_and_round(app, rows):
    refused(app, "INSERT INTO response (expert_id, round_id, status, created_at, updated_at)"
                 " VALUES (:e, :r, 'draft', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            e=rows["expert"], r=rows["round"])
    refused(app, "UPDATE response SET status = 'submitted' WHERE id = :i", i=rows["response"])  # needs submitted_at


def test_weight_set_constraints_and_immutability(app, rows):
    from webapp.models import ImmutableRow, Study, WeightSet

    with app.app_context():
        study = db.session.get(Study, rows["study"])
        ws = WeightSet.freeze(study=study, version=1, payload={"weights": {"A": 0.5, "B": 0.5}})
        db.session.add(ws)
        db.session.commit()
        import hashlib
        assert ws.checksum == hashlib.sha256(ws.payload_text.encode()).hexdigest()
        ws.label = "changed"
        with pytest.raises(ImmutableRow):
            db.session.flush()
        db.session.rollback()
        dup = WeightSet.freeze(study=study, version=1, payload={})
        db.session.add(dup)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    refused(app, "INSERT INTO weight_set (study_id, version, label, payload_text, checksum, published_at)"
                 " VALUES (:s, 0, '', '{}', :c, CURRENT_TIMESTAMP)", s=rows["study"], c="a" * 64)
    refused(app, "INSERT INTO weight_set (study_id, version, label, payload_text, checksum, published_at)"
                 " VALUES (:s, 3, '', '{}', 'short', CURRENT_TIMESTAMP)", s=rows["study"])


def test_audit_log_is_append_only(app, rows):
    from webapp.models import AuditEvent, ImmutableRow

    with app.app_context():
        event = db.session.query(AuditEvent).first()
        assert event is not None  # creating the study was logged
        event.action = "rewritten"
        with pytest.raises(ImmutableRow):
            db.session.flush()
        db.session.rollback()
        event = db.session.query(AuditEvent).first()
        db.session.delete(event)
        with pytest.raises(ImmutableRow):
            db.session.flush()
        db.session.rollback()


def test_round_transitions_are_conditional_statements(app, rows):
    """Each transition is one conditional UPDATE: it happens once, and reports whether it did."""
    from webapp.models import InvalidTransition, Response, ResponseStatus, Round, RoundStatus, utcnow

    now = utcnow()
    with app.app_context():
        rnd = db.session.get(Round, rows["round"])
        assert rnd.status is RoundStatus.open
        assert rnd.open_if_draft(db.session, now, settings={"alpha": 0.1}) is False
        assert rnd.settings == {}                     # an opened round's settings are not rewritten
        with pytest.raises(InvalidTransition):
            rnd.settings = {"alpha": 0.1}             # nor changed through the model
        response = db.session.get(Response, rows["response"])
        assert response.touch_if_writable(db.session, now) is True
        assert rnd.close_if_open(db.session, now) is True
        assert rnd.status is RoundStatus.closed and rnd.closed_at is not None
        assert rnd.close_if_open(db.session, now) is False   # a second close is a no-op
        assert response.submit_if_writable(db.session, now) is False
        assert response.status is ResponseStatus.draft
        db.session.rollback()


def test_accepting_answers_is_one_expression_in_python_and_sql(app, rows):
    from datetime import timedelta

    from sqlalchemy import select, update

    from webapp.models import Round, RoundStatus, utcnow

    now = utcnow()
    cases = [(RoundStatus.open, None), (RoundStatus.open, now + timedelta(minutes=1)),
             (RoundStatus.open, now), (RoundStatus.open, now - timedelta(minutes=1)),
             (RoundStatus.closed, None), (RoundStatus.draft, now + timedelta(hours=1))]
    with app.app_context():
        for status, closes_at in cases:
            db.session.execute(update(Round).where(Round.id == rows["round"])
                               .values(status=status, closes_at=closes_at))
            rnd = db.session.get(Round, rows["round"])
            db.session.refresh(rnd)
            in_sql = db.session.scalar(select(Round.id).where(Round.id == rnd.id, Round.accepts_answers(now)))
            assert rnd.accepts_answers(now) is (in_sql is not None), (status, closes_at)
            assert rnd.accepts_answers(now) is (status is RoundStatus.open
                                                and (closes_at is None or closes_at > now))
        db.session.rollback()


