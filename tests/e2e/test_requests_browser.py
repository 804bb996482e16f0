"""Issue 12 done-when, in a real Chromium with a real SMTP server: region EU, LinkedIn's
objection guide, write the letter, copy it, "I sent it", the dashboard shows the reply
date; the test clock moves past it and exactly one overdue email arrives with the
follow-up and the authority's complaint page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.celery_eager import eager_celery
from tests.e2e.test_accessibility import _violations
from tracker import overdue_tasks
from tracker.models import Request, Subscription, Visitor

pytestmark = pytest.mark.e2e

GUIDE = "/platforms/linkedin/object-to-ai-processing/"


def test_objection_letter_to_overdue_email(browser: Browser, site, smtp_sink, settings):
    settings.SITE_URL = site
    settings.CLOCK_TODAY = dt.date(2027, 1, 31)
    # bypass_csp only so the test can inject axe; the site itself never needs it.
    context = browser.new_context(
        permissions=["clipboard-read", "clipboard-write"], bypass_csp=True
    )
    host = site.split("://", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": settings.REGION_COOKIE_NAME, "value": "eu", "domain": host, "path": "/"}]
    )
    page = context.new_page()
    page.goto(site + GUIDE)
    assert _violations(page) == []
    page.get_by_role("link", name="Write an objection (GDPR, EU and EEA)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Write your letter to LinkedIn")
    page.get_by_label("Your name").fill("Ana Example")
    page.get_by_label("imitate my work", exact=False).check()
    page.get_by_role("button", name="Write my letter").click()
    letter = page.locator("#letter-text")
    expect(letter).to_contain_text("Article 21(1) of the GDPR")
    page.get_by_role("button", name="Copy the letter").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert _violations(page) == []
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "grounds relating to my particular situation" in copied and "Ana Example" in copied
    expect(
        page.get_by_role("link", name="https://www.linkedin.com/help/linkedin/ask/TS-DPRO")
    ).to_be_visible()

    page.get_by_label("Where you would complain").select_option("ie")
    page.get_by_role("button", name="I sent it", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Awaiting reply, due 28 Feb 2027")
    section = page.locator(".requests-section")
    expect(section).to_contain_text("Awaiting reply")
    expect(section).to_contain_text("due 28 Feb 2027")
    expect(section).to_contain_text("28 days left")
    assert _violations(page) == []

    visitor = Visitor.objects.get()
    Subscription.objects.create(
        email="ana@example.org", visitor=visitor, confirmed_at=timezone.now()
    )
    settings.CLOCK_TODAY = dt.date(2027, 3, 1)  # the test clock moves past the reply date
    with eager_celery():
        overdue_tasks.find_overdue_requests()
        overdue_tasks.find_overdue_requests()  # beat again: nothing more
    [message] = smtp_sink.wait_for(1)
    assert len(smtp_sink.messages) == 1
    text = smtp_sink.text_of(message)
    assert message["To"] == "ana@example.org"
    assert "I have not received it" in text  # the follow-up letter
    assert "https://dataprotection.ie/en/individuals/exercising-your-rights/" in text
    assert Request.objects.get().status == "overdue"
    page.goto(site + "/me/")
    expect(page.locator(".requests-section")).to_contain_text("Overdue")
    context.close()
