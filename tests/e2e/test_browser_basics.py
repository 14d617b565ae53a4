"""The basics in a real browser: language from the phone's settings, the
switch, coordinator login, an expert's invitation link, no CSP violations."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def collect_console_errors(page):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_chinese_phone_gets_chinese_and_can_switch(live_demo, phone_zh):
    page = phone_zh.new_page()
    errors = collect_console_errors(page)
    page.goto(live_demo.url + "/login")
    assert page.locator("h1").inner_text() == "组织者登录"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("link", name="English").click()
    # to_have_text retries: the click returns before the English page has loaded.
    expect(page.locator("h1")).to_have_text("Coordinator log in")
    assert errors == []  # no CSP refusals, no script errors


def test_coordinator_logs_in_and_sees_the_demo_study(live_demo, desktop_en):
    page = desktop_en.new_page()
    errors = collect_console_errors(page)
    username, password = live_demo.coordinator
    page.goto(live_demo.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/studies/")
    from webapp.services.demo import DEMO_TITLE

    page.get_by_role("link", name=DEMO_TITLE, exact=True).first.click()   # the Delphi study of three
    # The click returns once the new URL is committed, before the page has loaded.
    page.wait_for_url(re.compile(r"/studies/\d+$"), wait_until="load")
    assert "Testing capability" in page.content()
    assert errors == []


def test_invitation_link_lands_on_a_token_free_page(live_demo, phone_zh):
    page = phone_zh.new_page()
    link = live_demo.expert_links["E03"]
    page.goto(link)
    token = link.rsplit("/", 1)[1]
    assert token not in page.url
    assert "E03" in page.content()
    assert "匿名" in page.content()
