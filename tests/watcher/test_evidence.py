"""The watcher re-checks our evidence: quotes our sources take from a watched page must
still be on it; a missing one opens one re-verification item, shown to editors in the
admin and to readers on the guide page, until an editor resolves it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import CHROMIUM
from tests.factories import make_guide, make_platform
from tests.test_html import assert_valid
from tests.watcher.kit import check, make_page
from tests.watcher.server import PageServer, Reply
from tests.watcher.test_render import POLICY, serve_spa
from tracker.models import User
from watcher import review
from watcher.evidence import quote_present
from watcher.models import Reverification, WatchedPage

TEXT = "\n".join(
    [
        "# Control whether LinkedIn uses your data",
        "- Go to Settings & Privacy (https://www.linkedin.com/mypreferences/d/settings)",
        "1. Turn off Data for Generative AI Improvement.",
        "| Region | Default |",
        "Members in the EU \u2014 including the EEA \u2014 were excluded \u201cat first\u201d.",
    ]
)


@pytest.mark.parametrize(
    "quote",
    [
        "Turn off Data for Generative AI Improvement.",
        "turn off  data for\ngenerative ai improvement",
        "Go to Settings & Privacy",
        'Members in the EU - including the EEA - were excluded "at first".',
        "Members in the EU \u2013 including the EEA \u2013 were excluded \u2018at first\u2019",
        "Control whether LinkedIn uses your data Go to Settings",  # across lines
    ],
)
def test_quote_present_tolerates_spacing_quotes_dashes_and_case(quote: str) -> None:
    assert quote_present(quote, TEXT)


@pytest.mark.parametrize(
    "quote",
    ["Turn on Data for Generative AI Improvement", "Members in the UK were excluded"],
)
def test_quote_absent_is_absent(quote: str) -> None:
    assert not quote_present(quote, TEXT)


def cite(page: WatchedPage, *quotes: str, checked_on: str = "2026-11-20", **kw):
    source = {
        "id": "help",
        "url": page.url + "/",  # trailing slash and fragment do not matter
        "title": "LinkedIn Help",
        "kind": "official",
        "publisher": "LinkedIn",
        "quote": list(quotes),
        "checked_on": checked_on,
        "supports": ["path"],
        "verified_on": checked_on,  # still read by the guide template of the old format
    }
    return make_guide(page.platform, title="Turn off AI training", sources=[source], **kw)


@pytest.mark.django_db
def test_present_quotes_open_nothing_and_refresh_nothing(site: PageServer) -> None:
    page = make_page()
    guide = cite(page, "Data for Generative AI Improvement")
    site.route("/help", Reply(page="help_v1.html"))
    check(site, page)
    check(site, page)
    assert not Reverification.objects.exists()
    guide.refresh_from_db()
    assert guide.sources[0]["checked_on"] == "2026-11-20"


@pytest.mark.django_db
def test_missing_quote_opens_one_item_until_resolved(site: PageServer) -> None:
    page = make_page()
    guide = cite(page, "Data for Generative AI Improvement", "This sentence was never there.")
    site.route("/help", Reply(page="help_v1.html"))
    check(site, page)
    check(site, page)
    [item] = Reverification.objects.all()
    assert (item.guide, item.page, item.quote) == (guide, page, "This sentence was never there.")
    assert (item.source_id, str(item.checked_on), item.status) == ("help", "2026-11-20", "open")
    editor = User.objects.create(email="editor@optout.test", is_staff=True)
    assert review.resolve([item.pk], user=editor) == 1
    assert review.resolve([item.pk], user=editor) == 0  # decided once
    check(site, page)  # same page text: a resolved item is not reopened
    assert Reverification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_removed_sentence_reaches_the_admin_queue_and_the_guide_page(
    site: PageServer, settings, smtp_sink
) -> None:
    settings.WATCH_CHROMIUM = CHROMIUM
    quote = "Members can turn off \u201cData for Generative AI Improvement\u201d at any time."
    serve_spa(site)
    platform = make_platform(name="Linked")
    page = make_page(path="/policy", platform=platform, js=True)
    guide = cite(page, quote)
    other = make_guide(platform, title="Object to all AI use")
    User.objects.create(email="editor@optout.test", is_staff=True, is_superuser=True)
    assert check(site, page, timeout=10).verdict == "baseline"
    assert not Reverification.objects.exists()

    # The platform drops the sentence from its script-rendered page.
    edited = {**POLICY, "paragraphs": POLICY["paragraphs"][:1]}
    site.route("/api/policy.json", Reply(body=json.dumps(edited), content_type="application/json"))
    assert check(site, page, timeout=10).verdict == "changed"
    check(site, page, timeout=10)  # and again: still one item
    [item] = Reverification.objects.all()
    assert (item.guide_id, item.status, item.quote) == (guide.pk, "open", quote)
    assert "-Members can turn off Data for Generative AI Improvement at any time." in item.diff
    assert item.detected_change is not None
    [mail] = [m for m in smtp_sink.messages if "quote left" in m["Subject"]]
    assert mail["Subject"] == '[watcher] Linked: a quote left "Generative AI training help page"'
    assert quote in mail.get_body(("plain",)).get_content()
    assert "/admin/watcher/reverification/" in mail.get_body(("plain",)).get_content()

    editor = User.objects.get(email="editor@optout.test")
    admin = Client()
    admin.force_login(editor)
    queue = admin.get(reverse("admin:watcher_reverification_changelist")).content.decode()
    assert "Turn off AI training" in queue and "Members can turn off" in queue
    detail = admin.get(reverse("admin:watcher_reverification_change", args=[item.pk]))
    assert (
        "Members can turn off" in detail.content.decode()
        and 'name="_resolve"' in detail.content.decode()
    )

    note = "The official page changed after we checked this on 20 Nov 2026."
    reader = Client()
    flagged = reader.get(guide.get_absolute_url()).content.decode()
    assert note in flagged
    assert_valid(flagged, guide.get_absolute_url())
    assert note not in reader.get(other.get_absolute_url()).content.decode()

    response = admin.post(
        reverse("admin:watcher_reverification_change", args=[item.pk]),
        {"note": "Sentence moved to the settings page; guide updated.", "_resolve": "Resolve"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.resolved_by, item.note) == (
        "resolved",
        editor,
        "Sentence moved to the settings page; guide updated.",
    )
    assert note not in reader.get(guide.get_absolute_url()).content.decode()
