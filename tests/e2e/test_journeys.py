"""The journeys of issue 11 in a real Chromium, asserting what a person sees: region
kept from home to the catalog, LinkedIn done when its `do` steps are, Meta in the EU,
every htmx form showing its errors in place, report a problem, phone layouts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tracker.models import ProblemReport

pytestmark = pytest.mark.e2e

LINKEDIN = "/platforms/linkedin/generative-ai-training/"
PHONE = {"width": 375, "height": 812}


def test_home_region_start_catalog_linkedin_done(page: Page, site, foreign_requests):
    page.goto(site + "/")
    expect(page.locator(".region-bar")).to_contain_text("Region not chosen")
    page.get_by_label("Your region").select_option("eu")
    page.get_by_role("button", name="Start: choose your platforms").click()
    expect(page).to_have_url(re.compile(r"/platforms/$"))
    expect(page.locator(".region-bar")).to_contain_text("Region: European Union or EEA")
    page.locator("summary", has_text="Filter").click()
    expect(page.get_by_label("Applies in")).to_have_value("eu")

    page.locator("[data-platform=linkedin]").get_by_role(
        "link", name=re.compile("Data for Generative AI Improvement")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Data for Generative AI")
    for expected in ("1", "2", "3"):
        page.get_by_role("button", name="Mark as done").first.click()
        expect(page.locator("#guide-progress-bar")).to_have_attribute("value", expected)
    expect(page.locator(".progress-text")).to_contain_text("3 of 3 steps done. Done")
    later = page.locator("#step-check-it-stayed-off")
    expect(later.get_by_role("button")).to_have_count(0)
    expect(later).to_contain_text("Re-check by")

    page.get_by_role("link", name="My opt-outs").click()
    card = page.locator("[data-platform=linkedin]")
    expect(card).to_contain_text("Done")
    expect(card).to_contain_text("3/3 steps")
    next_step = page.locator(".next")
    expect(next_step).to_contain_text("Object to all other AI processing")
    next_step.get_by_role("link", name="Go to this step").click()
    expect(page).to_have_url(re.compile(r"object-to-ai-processing/#step-open-objection-form$"))
    assert foreign_requests == []


def test_meta_in_the_eu_counts_the_elsewhere_route_as_not_applicable(page: Page, site):
    page.goto(site + "/region/")
    page.get_by_label("Your region").select_option("eu")
    page.get_by_role("button", name="Save region").click()
    page.goto(site + "/platforms/meta/object-eu-uk/")
    page.get_by_role("button", name=re.compile("Add Meta")).click()
    expect(page.get_by_text("On your list")).to_be_visible()
    page.goto(site + "/me/")
    card = page.locator("[data-platform=meta]")
    elsewhere = card.locator("li", has_text="Outside Europe there is no opt-out")
    expect(elsewhere).to_contain_text("Not applicable")
    expect(card).not_to_contain_text("No opt-out exists")
    expect(card.locator(".meter-text")).to_have_text("0 of 3 steps")


def test_invalid_subscribe_with_javascript_shows_its_error(page: Page, site):
    page.goto(site + LINKEDIN)
    page.evaluate("window.__noReload = true")
    form = page.locator("#subscribe")
    form.get_by_label("Your email").fill("bad@@example")
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#subscribe-email-error")).to_be_visible()
    expect(page.locator("#subscribe-email-error")).to_contain_text("valid email")
    expect(page.locator("#subscribe-email")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("window.__noReload") is True


def test_invalid_catalog_filter_with_javascript_shows_its_error(page: Page, site):
    page.goto(site + "/platforms/")
    page.locator("summary", has_text="Filter").click()
    # A value no option offers (an old bookmark, a tampered form): htmx sends it.
    page.evaluate(
        "() => { const s = document.querySelector('#id_kind');"
        " s.add(new Option('gone', 'gone')); s.value = 'gone';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    alert = page.locator("#results [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Kind of opt-out")


def test_invalid_tick_with_javascript_shows_a_message_in_place(page: Page, site):
    page.goto(site + LINKEDIN)
    page.evaluate(
        "document.querySelector('#step-open-data-privacy input[name=done]').value = 'maybe'"
    )
    page.get_by_role("button", name="Mark as done").first.click()
    problem = page.locator("#step-open-data-privacy .htmx-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("We could not understand that request")
    expect(page.locator("#step-open-data-privacy h3")).to_be_visible()  # the step stays


def test_report_a_problem_without_javascript(browser: Browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + LINKEDIN)
    page.locator("#step-switch-off-training").get_by_role(
        "link", name="Report a problem with this step"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
    expect(page.get_by_label("Which part is wrong?")).to_have_value("switch-off-training")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Tell us what is wrong.")).to_be_visible()
    page.get_by_label("What is wrong?").fill("The toggle is now under Privacy.")
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(re.compile(r"generative-ai-training/$"))
    expect(page.locator(".messages")).to_contain_text("an editor will check this guide")
    expect(page.locator("main")).not_to_contain_text("The toggle is now under Privacy.")
    assert ProblemReport.objects.get().step.key == "switch-off-training"
    context.close()


def test_tick_without_javascript_lands_with_the_title_in_view(browser: Browser, site):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(site + LINKEDIN)
    page.get_by_role("button", name="Mark as done").nth(2).click()
    expect(page).to_have_url(re.compile(r"#step-switch-off-training$"))
    title = page.locator("#step-switch-off-training h3").bounding_box()
    bar = page.locator("#guide-progress").bounding_box()
    assert title["y"] >= bar["y"] + bar["height"], (title, bar)
    assert title["y"] + title["height"] <= PHONE["height"]
    context.close()


def test_phone_catalog_shows_the_first_platform_without_scrolling(browser: Browser, site):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(site + "/region/")
    page.get_by_label("Your region").select_option("us")
    page.get_by_role("button", name="Save region").click()
    page.goto(site + "/platforms/")
    expect(page.get_by_label("Kind of opt-out")).to_be_hidden()  # folded behind "Filter"
    first = page.locator(".platform-card h3").first
    expect(first).to_be_in_viewport()
    box = first.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    context.close()


def test_phone_guide_page_starts_the_first_step_within_the_first_screen(browser: Browser, site):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    for path in (LINKEDIN, "/platforms/chatgpt/improve-the-model/"):
        page.goto(site + path)
        first = page.locator("ol.steps > li").first.locator("h3")
        box = first.bounding_box()
        assert box["y"] < PHONE["height"], (path, box)
        expect(first).to_be_in_viewport()
    context.close()


def test_friendly_error_pages_in_the_browser(page: Page, site):
    page.goto(site + "/me/signout/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This address only works from a button"
    )
    page.goto(site + "/platforms/nothing-here/")
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
