"""The pages around the guides: region choice, home's one action, the product name,
error pages, Markdown in content text, about / privacy / accessibility."""

from __future__ import annotations

import json
import re

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path
from django.utils import timezone

from guides.models import Guide, Step
from tracker import datafacts
from tracker.models import ProblemReport, Subscription, User, Visitor

pytestmark = pytest.mark.django_db


def broken_view(request):
    raise OperationalError("connection refused")


urlpatterns = [path("broken/", broken_view)]


def test_region_page_works_without_javascript_and_goes_back(client, content):
    page = client.get("/region/?next=/platforms/meta/")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="next" value="/platforms/meta/"' in html
    response = client.post("/region/", {"region": "eu", "next": "/platforms/meta/"})
    assert response.status_code == 302 and response["Location"] == "/platforms/meta/"
    assert client.cookies["region"].value == "eu"


def test_region_page_refuses_to_send_people_elsewhere(client, content):
    html = client.get("/region/?next=https://evil.example/").content.decode()
    assert 'name="next" value="https://evil' not in html
    response = client.post("/region/", {"region": "eu", "next": "https://evil.example/"})
    assert response["Location"] == "/platforms/"


@pytest.mark.parametrize("url", ["/", "/platforms/", "/about/", "/me/", "/platforms/linkedin/"])
def test_every_page_shows_the_region_with_a_link_to_change_it(client, content, url):
    client.cookies["region"] = "uk"
    html = client.get(url).content.decode()
    assert "Region: <strong>United Kingdom</strong>" in html
    assert re.search(r'href="/region/\?next=[^"]*">Change', html)


def test_home_has_one_primary_action_and_start_keeps_the_region(client, content):
    html = client.get("/").content.decode()
    assert html.count('class="primary"') + html.count('class="button primary"') == 1
    form = html[html.index('class="region-form"') :]
    form = form[: form.index("</form>")]
    assert "Start: choose your platforms" in form and 'value="/platforms/"' in form
    response = client.post("/region/", {"region": "eu", "next": "/platforms/"})
    assert response["Location"] == "/platforms/"
    catalog = client.get("/platforms/").content.decode()
    assert '<option value="eu" selected>' in catalog


def test_guide_page_links_change_your_region(client, content):
    client.cookies["region"] = "us"
    html = client.get("/platforms/meta/object-eu-uk/").content.decode()
    link = r'<a href="/region/\?next=[^"]+">change your region if that is wrong</a>'
    assert re.search(link, html)


def test_product_name_is_in_header_titles_and_email_subjects(client, content, settings, mailoutbox):
    settings.SITE_NAME = "Test Guide"
    html = client.get("/platforms/linkedin/").content.decode()
    assert "<title>LinkedIn: opt out of AI training · Test Guide</title>" in html
    assert "Test Guide</a>" in html and "optout_site" not in html
    client.post("/me/signin/", {"email": "a@example.org"})
    assert mailoutbox[0].subject == "Your sign-in link for Test Guide"


def test_markdown_is_rendered_in_alternatives(client, content):
    html = client.get("/platforms/meta/no-opt-out-elsewhere/").content.decode()
    assert "<strong>Friends</strong>" in html and "**Friends**" not in html


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_address_gets_a_friendly_404(client, content, settings, debug):
    settings.DEBUG = debug
    for url in ("/no-such-page/", "/platforms/no-such-platform/"):
        response = client.get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert "We could not find that page" in html and "See all platforms" in html


def test_missing_slash_still_redirects_in_debug(client, content, settings):
    settings.DEBUG = True
    assert client.get("/platforms")["Location"] == "/platforms/"


@pytest.mark.parametrize(
    "url", ["/me/signout/", "/me/tick/linkedin/generative-ai-training/open-data-privacy/"]
)
def test_get_on_a_button_address_explains_instead_of_a_blank_page(client, content, url):
    response = client.get(url)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "This address only works from a button" in response.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_database_outage_is_a_friendly_503(client, settings, debug):
    settings.ROOT_URLCONF = "tests.test_site_pages"
    settings.DEBUG = debug
    response = client.get("/broken/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "We are briefly unavailable" in response.content.decode()


@pytest.mark.parametrize("url", ["/about/", "/privacy/", "/accessibility/"])
def test_footer_links_the_pages_about_us(client, content, url):
    html = client.get("/platforms/").content.decode()
    assert f'href="{url}"' in html
    assert client.get(url).status_code == 200


def test_accessibility_statement_follows_the_w3c_model(client, content):
    html = client.get("/accessibility/").content.decode()
    for heading in (
        "Measures to support accessibility",
        "Conformance status",
        "Feedback",
        "Technical specifications",
        "Limitations and alternatives",
        "Assessment approach",
    ):
        assert f">{heading}</h2>" in html
    assert "WCAG 2.2 level AA" in html


def _everything_stored(client: Client) -> dict:
    """A person who left every kind of record, and their export."""
    user = User.objects.create_user("all@example.org")
    client.force_login(user)
    step = Step.objects.filter(guide__slug="generative-ai-training").first()
    client.post(f"/me/tick/linkedin/generative-ai-training/{step.key}/", {"done": "1"})
    visitor = Visitor.objects.get(user=user)
    sub = Subscription.objects.create(
        email=user.email, visitor=visitor, confirmed_at=timezone.now()
    )
    sub.platforms.add(step.guide.platform)
    letter = "/me/letters/linkedin/object-to-ai-processing/gdpr-objection/sent/"
    client.post(letter, {"authority": "ie", "note": "n"})
    client.post("/me/calendar/")
    guide = Guide.objects.get(slug="generative-ai-training")
    ProblemReport.objects.create(guide=guide, message="Moved", email=user.email)
    from optout_site.emails import make_message
    from tracker import outbox

    message = make_message("already-subscribed", user.email, {"manage_url": "https://x.example/"})
    outbox.put("test:everything", message, wake=False)
    return json.loads(client.get("/me/data.json").content)


def test_privacy_page_lists_every_field_the_export_holds(client, content):
    data = _everything_stored(client)
    records = {r.key: r for r in datafacts.RECORDS}
    html = Client().get("/privacy/").content.decode()
    for key, value in data.items():
        if key in {"exported_at", "region_cookie"}:
            continue
        rows = value if isinstance(value, list) else [value]
        assert rows and rows[0], key
        assert set(rows[0]) == {f.key for f in records[key].facts}, key
        for fact in records[key].facts:
            assert f"<code>{fact.key}</code>" in html
    assert "No IP address is stored anywhere" in html
