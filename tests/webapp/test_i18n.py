"""Every page in English and Simplified Chinese; the catalogue is complete."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from webapp.i18n import merged_catalog

ROOT = Path(__file__).resolve().parents[2]


def extracted_messages() -> set[str]:
    method_map = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2")]
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "_l": None, "gettext": None,
                                             "lazy_gettext": None, "ngettext": (1, 2)}):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in ids if m}


def test_every_message_has_a_chinese_translation():
    catalog = merged_catalog("zh")
    missing = sorted(m for m in extracted_messages()
                     if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy))
    assert missing == [], "untranslated in webapp/translations/zh/parts/*.po:\n" + "\n".join(missing)


def test_placeholders_survive_translation():
    import re

    catalog = merged_catalog("zh")
    for message in catalog:
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
            for translated in strings:
                assert set(re.findall(r"%\(\w+\)s", translated)) == wanted, message.id


@pytest.mark.parametrize("header, marker, lang", [
    ("zh-CN,zh;q=0.9", "组织者登录", "zh-Hans"),
    ("zh-TW", "组织者登录", "zh-Hans"),
    ("en-GB,en;q=0.8", "Coordinator log in", "en"),
    ("fr-FR", "Coordinator log in", "en"),
])
def test_language_follows_accept_language(client, header, marker, lang):
    html = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert marker in html
    assert f'<html lang="{lang}">' in html


def test_switch_is_on_every_page_and_sticks(client):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/?lang=zh"' in html
    assert "组织者登录" in client.get("/login?lang=zh", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # the choice is kept for the next pages, whatever the browser says
    assert "组织者登录" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Coordinator log in" in client.get("/login?lang=en").get_data(as_text=True)


def test_form_errors_in_chinese(client):
    html = client.post("/login?lang=zh", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "该字段是必填字段" in html or "此字段为必填项" in html or "必填" in html


def test_pages_render_in_both_languages(coordinator_client, make_study, app):
    from webapp.extensions import db
    from webapp.models import Study, User

    with app.app_context():
        alice = db.session.scalar(db.select(User).where(User.username == "alice"))
        study_id = make_study(alice.id)
        assert db.session.get(Study, study_id)
    for lang, word in (("en", "Indicator system"), ("zh", "指标体系")):
        for path in ("/studies/", f"/studies/{study_id}", "/studies/new"):
            response = coordinator_client.get(f"{path}?lang={lang}")
            assert response.status_code == 200, path
        page = coordinator_client.get(f"/studies/{study_id}?lang={lang}").get_data(as_text=True)
        assert word in page
    zh = coordinator_client.get(f"/studies/{study_id}?lang=zh").get_data(as_text=True)
    assert "检测能力" in zh  # indicator names follow the language
    en = coordinator_client.get(f"/studies/{study_id}?lang=en").get_data(as_text=True)
    assert "Testing capability" in en
