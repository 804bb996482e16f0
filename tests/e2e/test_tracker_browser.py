"""Progress in a real Chromium: htmx ticks, no-JS ticks, cookies, sign-in by email link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

GUIDE = "/platforms/linkedin/generative-ai-training/"


def bar(page: Page):
    return page.locator("#guide-progress-bar")


def test_ticks_with_javascript_move_the_bar_without_reload(page: Page, site, foreign_requests):
    page.goto(site + GUIDE)
    page.evaluate("window.__noReload = 'still here'")
    expect(bar(page)).to_have_attribute("value", "0")
    for expected in ("1", "2", "3"):
        page.get_by_role("button", name="Mark as done").first.click()
        expect(bar(page)).to_have_attribute("value", expected)
    expect(page.get_by_role("status").filter(has_text="steps done")).to_contain_text(
        "3 of 3 steps done."
    )
    assert page.evaluate("window.__noReload") == "still here"
    expect(page.locator("li.step.done")).to_have_count(3)
    page.reload()
    expect(bar(page)).to_have_attribute("value", "3")
    assert foreign_requests == []


def test_ticks_without_javascript_land_back_on_the_step(browser: Browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + GUIDE)
    page.get_by_role("button", name="Mark as done").nth(1).click()
    expect(page).to_have_url(re.compile(r"#step-open-genai-setting$"))
    expect(bar(page)).to_have_attribute("value", "1")
    expect(page.locator("#step-open-genai-setting")).to_have_class(re.compile("done"))
    context.close()


def test_progress_survives_closing_the_browser(browser: Browser, site, tmp_path):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + GUIDE)
    page.get_by_role("button", name="Mark as done").first.click()
    expect(bar(page)).to_have_attribute("value", "1")
    state = tmp_path / "state.json"
    context.storage_state(path=str(state))
    context.close()

    reopened = browser.new_context(storage_state=str(state))
    page = reopened.new_page()
    page.goto(site + "/me/")
    expect(page.locator("[data-platform=linkedin]")).to_contain_text("In progress")
    page.goto(site + GUIDE)
    expect(bar(page)).to_have_attribute("value", "1")
    reopened.close()


def test_sign_in_by_email_link_shows_same_progress_in_second_browser(
    browser: Browser, site, smtp_sink, settings
):
    settings.SITE_URL = site
    first = browser.new_context()
    page = first.new_page()
    page.goto(site + GUIDE)
    for expected in ("1", "2"):
        page.get_by_role("button", name="Mark as done").first.click()
        expect(bar(page)).to_have_attribute("value", expected)
    page.goto(site + "/me/signin/")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("a sign-in link is on its way")

    message = smtp_sink.wait_for(1)[0]
    assert message["To"] == "reader@example.org"
    link = re.search(r"https?://\S+/me/signin/\S+/", smtp_sink.text_of(message)).group(0)

    second = browser.new_context()
    other = second.new_page()
    other.goto(link)
    other.get_by_role("button", name="Sign in").click()
    expect(other).to_have_url(re.compile(r"/me/$"))
    expect(other.locator(".whoami")).to_contain_text("Signed in as reader@example.org")
    expect(other.locator("[data-platform=linkedin]")).to_contain_text("2/3 steps")
    other.goto(site + GUIDE)
    expect(bar(other)).to_have_attribute("value", "2")
    first.close()
    second.close()
