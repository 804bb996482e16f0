"""From a guide page to a reminder in the inbox, in a real Chromium with a real SMTP
server: subscribe, confirm by email link, a policy change is published, the reminder
says what to re-check and its link shows it; one-click unsubscribe works without a
browser."""

from __future__ import annotations

import re

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import Browser, expect

from guides.models import Guide, PolicyChange
from guides.signals import publish
from tests.celery_eager import eager_celery

pytestmark = pytest.mark.e2e

GUIDE = "/platforms/linkedin/generative-ai-training/"


def test_subscribe_confirm_and_receive_a_reminder(browser: Browser, site, smtp_sink, settings):
    settings.SITE_URL = site
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + GUIDE)
    for expected in ("1", "2", "3"):
        page.get_by_role("button", name="Mark as done").first.click()
        expect(page.locator("#guide-progress-bar")).to_have_attribute("value", expected)

    form = page.locator("#subscribe")
    expect(form.get_by_label("LinkedIn")).to_be_checked()
    form.get_by_label("Your email").fill("follower@example.org")
    form.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#subscribe")).to_contain_text("Check your email")
    confirm_mail = smtp_sink.wait_for(1)[0]
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", smtp_sink.text_of(confirm_mail))
    page.goto(link.group(0))
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reminders")
    expect(page.locator(".messages")).to_contain_text("Subscription confirmed")
    expect(page.get_by_label("LinkedIn")).to_be_checked()

    guide = Guide.objects.get(platform__slug="linkedin", slug="generative-ai-training")
    change = PolicyChange.objects.create(
        platform=guide.platform,
        date=timezone.localdate(),
        title="Setting moved under Data privacy",
        summary="LinkedIn moved the toggle.",
    )
    change.affects.add(guide)
    with eager_celery():
        publish(change)
    reminder = smtp_sink.wait_for(2)[1]
    assert reminder["To"] == "follower@example.org"
    assert "LinkedIn" in reminder["Subject"]
    text = smtp_sink.text_of(reminder)
    assert "Setting moved under Data privacy" in text and "Needs re-check" in text
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    guide_link = re.search(
        re.escape(site) + r"/platforms/linkedin/generative-ai-training/\S*", text
    )
    page.goto(guide_link.group(0))
    expect(page.get_by_role("heading", name="Needs re-check")).to_be_visible()
    expect(page.locator(".recheck")).to_contain_text("Setting moved under Data privacy")

    unsubscribe = reminder["List-Unsubscribe"].strip("<>")
    one_click = requests.post(
        unsubscribe, data={"List-Unsubscribe": "One-Click"}, allow_redirects=False, timeout=10
    )
    assert one_click.status_code == 200
    context.close()
