"""Done means done: step roles (do, optional, later), not-applicable routes, and the
dashboard that leads with the next step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guides import schema
from guides.models import Step
from tests.factories import make_guide, make_platform
from tracker.models import Progress, Subscription, User, Visitor

pytestmark = pytest.mark.django_db

LINKEDIN = "/platforms/linkedin/generative-ai-training/"


def steps_of(platform: str, guide: str) -> list[Step]:
    return list(
        Step.objects.filter(guide__platform__slug=platform, guide__slug=guide)
        .select_related("guide__platform")
        .order_by("position")
    )


def tick(client: Client, step: Step, done: str = "1"):
    url = f"/me/tick/{step.guide.platform.slug}/{step.guide.slug}/{step.key}/"
    return client.post(url, {"done": done})


def dashboard_row(html: str, text: str) -> str:
    """One platform's card on the dashboard, up to the next card."""
    start = html.index(text)
    end = html.find('class="platform-card"', start + 1)
    return html[start : end if end != -1 else html.index('class="no-print', start)]


def test_content_files_give_the_roles_the_issue_names(content):
    roles = dict(Step.objects.values_list("guide__slug", "role").filter(key="check-it-stayed-off"))
    assert roles == {"generative-ai-training": "later"}
    assert {s.role for s in steps_of("chatgpt", "temporary-chat")} == {"optional"}
    assert Step.objects.get(key="leave-audio-box-unchecked").role == "later"
    toggle = Step.objects.get(key="switch-off-training", guide__platform__slug="linkedin")
    assert toggle.role == "do"


def test_a_later_step_needs_a_recheck_interval(tmp_path: Path):
    data = yaml.safe_load((Path("guides/content/linkedin.yaml")).read_text())
    del data["guides"][0]["recheck_after_days"]
    (tmp_path / "linkedin.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(schema.ContentError) as error:
        schema.parse_file(tmp_path / "linkedin.yaml")
    assert "recheck_after_days" in error.value.reason and error.value.field == "guides.0"


def test_linkedin_is_done_when_every_do_step_is_ticked(client, content):
    for step in steps_of("linkedin", "generative-ai-training"):
        if step.role == "do":
            tick(client, step)
    page = client.get(LINKEDIN).content.decode()
    assert "3 of 3 steps done." in page and "status-done" in page
    # The later step is a dated re-check, not a checkbox.
    later = page[page.index('id="step-check-it-stayed-off"') :]
    later = later[: later.index("</li>")]
    assert "Mark as done" not in later
    due = timezone.localdate() + dt.timedelta(days=180)
    assert f"Re-check by {due:%-d %b %Y}" in later
    assert "/me/subscribe/?platform=linkedin&amp;recheck=1" in later
    html = client.get("/me/").content.decode()
    row = dashboard_row(html, 'data-platform="linkedin"')
    assert "Turn off &quot;Data for Generative AI Improvement&quot;" in row
    assert "3/3 steps" in row and f"Re-check by {due:%-d %b %Y}" in row


def test_optional_steps_never_hold_a_guide_back(client, content):
    chatgpt = steps_of("chatgpt", "improve-the-model")
    for step in chatgpt:
        tick(client, step)
    client.post("/me/platforms/chatgpt/add/")
    html = client.get("/me/").content.decode()
    row = dashboard_row(html, 'data-platform="chatgpt"')
    # Temporary Chat is optional: it shows as such and is not counted in the bar.
    temp = row[row.index("Use a Temporary Chat") :]
    assert "Optional" in temp[:300] and "steps" not in temp[:300].split("</li>")[0][-40:]
    others = [
        s
        for slug in ("privacy-portal-request", "remove-personal-data-from-outputs")
        for s in steps_of("chatgpt", slug)
        if s.role == "do"
    ]
    done = [s for s in chatgpt if s.role == "do"]
    assert f"{len(done)} of {len(done) + len(others)} steps" in row


def test_an_optional_step_can_be_ticked_without_counting(client, content):
    steps = steps_of("x", "grok-data-sharing")
    optional = [s for s in steps if s.role == "optional"]
    tick(client, optional[0])
    page = client.get("/platforms/x/grok-data-sharing/").content.decode()
    assert "0 of 2 steps done." in page and "Not started" in page
    assert page.count('class="badge role">Optional') == 2


def test_meta_in_the_eu_is_not_applicable_not_no_opt_out(client, content):
    client.post("/me/preferences/", {"region": "eu", "account_type": "personal"})
    client.post("/me/platforms/meta/add/")
    html = client.get("/me/").content.decode()
    row = dashboard_row(html, 'data-platform="meta"')
    elsewhere = row[row.index("Outside Europe there is no opt-out") :][:300]
    assert "Not applicable" in elsewhere and "No opt-out exists" not in elsewhere
    assert "0 of 3 steps" in row  # only the EU route is counted (its Instagram step is optional)


def test_dashboard_leads_with_the_next_step_and_one_button(client, content):
    first, second, *_ = steps_of("linkedin", "generative-ai-training")
    tick(client, first)
    html = client.get("/me/").content.decode()
    start = html.index("Your next step")
    next_card = html[start : html.index("</section>", start)]
    assert second.title.replace('"', "&quot;") in next_card
    assert next_card.count('class="button primary"') == 1
    assert f'href="{LINKEDIN}#step-{second.key}"' in next_card
    assert "1 of 6 steps done (17%)" in next_card  # both LinkedIn routes count


def test_dashboard_says_done_when_nothing_is_left(client, content):
    steps = steps_of("linkedin", "generative-ai-training")
    for step in steps + steps_of("linkedin", "object-to-ai-processing"):
        if step.role == "do":
            tick(client, step)
    html = client.get("/me/").content.decode()
    assert "Everything you can do today on your platforms is done." in html
    assert "Go to this step" not in html


def test_dashboard_shows_who_is_signed_in_and_manage_links(client, content):
    user = User.objects.create_user("reader@example.org")
    client.force_login(user)
    tick(client, steps_of("linkedin", "generative-ai-training")[0])
    visitor = Visitor.objects.get(user=user)
    mine = Subscription.objects.create(
        email="reader@example.org", visitor=visitor, confirmed_at=timezone.now()
    )
    Subscription.objects.create(email="someone.else@example.org", visitor=visitor)
    html = client.get("/me/").content.decode()
    assert "Signed in as <strong>reader@example.org</strong>" in html
    assert "Manage these reminders" in html and "/me/subscription/" in html
    # Another address this visitor typed is shown masked, without a manage link.
    assert "s•••@example.org" in html and "someone.else@example.org" not in html
    assert html.count("Manage these reminders") == 1
    field = html[html.index('id="subscribe-email"') :]
    assert field[: field.index(">")].endswith('value="reader@example.org"')
    assert mine.pk


def test_dashboard_queries_do_not_grow_with_platforms(client, content):
    client.post("/me/platforms/linkedin/add/")
    tick(client, steps_of("linkedin", "generative-ai-training")[0])
    counts = []
    for extra in ("meta", "gemini"):
        client.post(f"/me/platforms/{extra}/add/")
        first = Step.objects.filter(guide__platform__slug=extra).select_related("guide").first()
        tick(client, steps_of(extra, first.guide.slug)[0])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/me/", HTTP_CACHE_CONTROL="no-cache").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_guide_with_only_optional_steps_is_optional_everywhere(client, db):
    platform = make_platform(slug="solo", name="Solo")
    guide = make_guide(platform, steps=2)
    guide.steps.update(role="optional")
    client.post("/me/platforms/solo/add/")
    tick(client, Step.objects.filter(guide=guide).select_related("guide__platform").first())
    html = client.get("/me/").content.decode()
    row = dashboard_row(html, 'data-platform="solo"')
    assert "status-optional" in row and "Progress on Solo" not in row
    assert Progress.objects.count() == 1
