"""Pages declared `js: true`: rendered by headless Chromium, every request of theirs
answered through the fetcher (same host only, same user agent and perimeter)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import CHROMIUM
from tests.watcher.kit import HOST, check, make_page
from tests.watcher.server import PAGES, PERIMETER, HostsFile, PageServer, Reply
from watcher.extract import extract
from watcher.fetch import USER_AGENT, HostThrottle, fetch
from watcher.outcomes import Outcome
from watcher.render import ChromiumRenderer
from watcher.watch import Verdict

POLICY = {
    "title": "How we use your data for AI",
    "paragraphs": [
        "We use public posts to train generative AI models.",
        "Members can turn off Data for Generative AI Improvement at any time.",
    ],
}


def serve_spa(site: PageServer, policy: dict = POLICY) -> None:
    site.route("/policy", Reply(page="spa_policy.html"))
    js = (PAGES / "spa_policy.js").read_bytes()
    site.route("/static/spa_policy.js", Reply(body=js, content_type="text/javascript"))
    site.route("/api/policy.json", Reply(body=json.dumps(policy), content_type="application/json"))


def test_script_written_text_is_extracted_through_chromium(site: PageServer) -> None:
    serve_spa(site)
    options = {"throttle": HostThrottle(0), "backoff": 0, "timeout": 5, "perimeter": PERIMETER}
    plain = fetch(f"https://{HOST}/policy", session=HostsFile(site), **options)
    assert plain.outcome is Outcome.EMPTY  # without a browser: an empty shell

    chromium = ChromiumRenderer(executable_path=CHROMIUM, timeout=10)
    asked, answered = [], []

    def renderer(url, html, get):
        def spy(resource_url):
            asked.append(resource_url)
            resource = get(resource_url)
            if resource is not None:
                answered.append(resource_url)
            return resource

        return chromium(url, html, spy)

    result = fetch(f"https://{HOST}/policy", session=HostsFile(site), render=renderer, **options)
    assert result.outcome is Outcome.OK, result.error
    text = extract(result.body or "", select=["main"], base_url=result.final_url).text
    assert text.splitlines() == [
        "# How we use your data for AI",
        "We use public posts to train generative AI models.",
        "Members can turn off Data for Generative AI Improvement at any time.",
    ]
    # Chromium asked for the script and the data through us; the stylesheet and the
    # other host's script were refused, and every request carried our user agent.
    paths = [seen.path for seen in site.requests]
    assert paths.count("/static/spa_policy.js") == 1 and paths.count("/api/policy.json") == 1
    assert "/static/site.css" not in paths
    assert "https://cdn.tracker.example/t.js" in asked  # asked, and refused: another host
    assert answered == [f"https://{HOST}/static/spa_policy.js", f"https://{HOST}/api/policy.json"]
    assert {seen.headers["User-Agent"] for seen in site.requests} == {USER_AGENT}


@pytest.mark.django_db
def test_js_page_is_watched_like_any_other(site: PageServer, settings) -> None:
    settings.WATCH_CHROMIUM, settings.WATCH_TIMEOUT = CHROMIUM, 10
    serve_spa(site)
    page = make_page(path="/policy", js=True)
    result = check(site, page, timeout=10)
    assert (result.verdict, result.outcome) == (Verdict.BASELINE, Outcome.OK)
    assert "Members can turn off" in page.stable_snapshot.text
    assert page.stable_snapshot.raw.count("<p>") == 2  # the rendered document is kept
