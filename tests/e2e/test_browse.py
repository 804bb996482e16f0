"""A person finds their platform and reads its guide, in a real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_home_to_linkedin_guide_with_region_and_filter(page: Page, site, foreign_requests):
    page.goto(site + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stop platforms training AI")

    page.get_by_label("Your region").select_option("us")
    page.get_by_role("button", name="Start: choose your platforms").click()
    expect(page).to_have_url(re.compile(r"/platforms/"))
    expect(page.get_by_label("Applies in")).to_have_value("us")

    page.get_by_label("Search by name").fill("link")
    results = page.locator("#results .platform-card")
    expect(results).to_have_count(1)  # filtered in place by htmx, no page load
    expect(page).to_have_url(re.compile(r"q=link"))

    page.locator("summary", has_text="Filter").click()  # the folded filters
    page.get_by_label("Kind of opt-out").select_option("form")
    expect(results).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Data Processing Objection Form")
    expect(page.locator("#results")).not_to_contain_text("Data for Generative AI Improvement")
    page.get_by_label("Kind of opt-out").select_option("")
    expect(page.locator("#results")).to_contain_text("Data for Generative AI Improvement")

    page.get_by_role("link", name=re.compile("Data for Generative AI Improvement")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        'Turn off "Data for Generative AI Improvement"'
    )
    expect(page.get_by_text("Applies in your region (United States).")).to_be_visible()
    steps = page.locator("ol.steps > li")
    expect(steps).to_have_count(4)
    expect(steps.nth(2)).to_contain_text("Use my data for training content creation AI models")
    expect(page.locator(".setting-path").nth(1)).to_contain_text("Data privacy")
    expect(page.get_by_role("heading", name="What it does not cover")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("3 Nov 2025")
    expect(page.locator(".sources")).to_contain_text("verified on")

    assert foreign_requests == []


def test_filter_works_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/platforms/")
    page.locator("summary", has_text="Filter").click()
    page.get_by_label("Kind of opt-out").select_option("no-opt-out")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"kind=no-opt-out"))
    expect(page.locator("#results")).to_contain_text("Reddit")
    expect(page.locator("#results")).not_to_contain_text("LinkedIn")
    context.close()
