"""WCAG 2.2 AA checks with axe-core (vendored, tests only) in light and dark mode,
the 320 px layout, and the print stylesheet."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = [
    "/",
    "/platforms/",
    "/platforms/?kind=no-opt-out",
    "/platforms/linkedin/",
    "/platforms/linkedin/generative-ai-training/",
    "/platforms/slack/ask-your-admin/",
    "/platforms/reddit/",
    "/me/",
    "/me/signin/",
    "/me/delete/",
    "/region/",
    "/about/",
    "/privacy/",
    "/accessibility/",
    "/report/linkedin/generative-ai-training/",
    "/me/subscribe/sent/",
    "/platforms/meta/no-opt-out-elsewhere/",
    "/platforms/chatgpt/temporary-chat/",
    "/no-such-page/",
    "/me/signout/",
]


def _violations(page) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_wcag_violations(browser: Browser, site, scheme):
    # bypass_csp only so the test can inject axe; the site itself never needs it.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(site + "/platforms/linkedin/generative-ai-training/")
    page.get_by_role("button", name="Mark as done").first.click()
    expect(page.locator("li.step.done")).to_have_count(1)
    problems = {}
    for path in PAGES:
        page.goto(site + path)
        found = _violations(page)
        if found:
            problems[path] = found
    context.close()
    assert problems == {}


def test_pages_fit_a_320px_screen(browser: Browser, site):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in PAGES:
        page.goto(site + path)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 320, f"{path} is {overflow}px wide"
    context.close()


def test_print_stylesheet_shows_a_checklist(browser: Browser, site):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/platforms/linkedin/generative-ai-training/")
    page.emulate_media(media="print")
    expect(page.locator(".tick-form").first).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("ol.steps > li").first).to_be_visible()
    context.close()
