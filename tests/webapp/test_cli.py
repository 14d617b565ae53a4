"""Command-line tools: create-coordinator, load-demo (idempotent), translate."""
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Expert, Node, Study, User


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id))) for m in (User, Study, Node, Expert))


def test_create_coordinator(runner, app):
    result = runner.invoke(args=["create-coordinator", "carol", "--password", "a long enough secret"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "carol"))
        assert user.check_password("a long enough secret")
        assert not user.password_hash.startswith("a long")
    again = runner.invoke(args=["create-coordinator", "carol", "--password", "a long enough secret"])
    assert again.exit_code != 0 and "taken" in again.output


def test_create_coordinator_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["create-coordinator", "dave", "--password", "short"])
    assert result.exit_code != 0
    assert counts(app)[0] == 0


def test_load_demo_prints_working_logins_and_is_idempotent(runner, app):
    first = runner.invoke(args=["load-demo"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    kind, username, password = lines[0].split()
    assert kind == "coordinator"
    expert_lines = [line.split() for line in lines[1:] if line.startswith("expert ")]
    ahp_lines = [line.split() for line in lines[1:] if line.startswith("ahp-expert ")]
    assert len(expert_lines) == 8 and len(ahp_lines) == 8 and len(lines) == 17
    assert [parts[1] for parts in expert_lines] == [f"E{i:02d}" for i in range(1, 9)]
    after_first = counts(app)
    # the seed hierarchy: 1 goal + 4 elements + 16 second-level + 43 third-level indicators,
    # in the demo study (8 experts) and in the finished example study (12 experts, demo_finished.py)
    # ... and the AHP-stage study (8 experts, demo_ahp.py)
    assert after_first == (1, 3, 3 * 64, 8 + 12 + 8)

    second = runner.invoke(args=["load-demo"])
    assert second.exit_code == 0
    assert counts(app) == after_first
    assert second.output == first.output  # same logins still work

    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302
    expert_client = app.test_client()
    url = expert_lines[0][2]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = expert_client.get("/" + path)
    assert response.status_code == 302
    page = expert_client.get("/expert/?lang=zh").get_data(as_text=True)
    assert "检验检测公共技术服务平台" in page and "E01" in page


def test_translate_compile(runner):
    result = runner.invoke(args=["translate", "compile"])
    assert result.exit_code == 0 and "messages.mo" in result.output
