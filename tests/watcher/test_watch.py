"""The full watcher (watcher.watch, tasks, command) against the recorded corpus on a real
local HTTP server, with real models: what becomes a change in the review queue, what not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import make_guide, make_platform
from tests.watcher.kit import HOST, check, eager_celery, fast, make_page
from tests.watcher.server import PageServer, Reply
from tracker.models import User
from watcher import pages, tasks, watch
from watcher.fetch import Outcome
from watcher.models import DetectedChange, Snapshot, WatchedPage
from watcher.watch import Verdict

pytestmark = pytest.mark.django_db

LAST_MODIFIED = "Tue, 03 Mar 2026 10:00:00 GMT"


@pytest.fixture
def staff(db) -> User:
    return User.objects.create(email="editor@optout.test", is_staff=True)


def baseline(site: PageServer, page: WatchedPage, name: str = "help_v1.html") -> None:
    site.route("/help", Reply(page=name))
    assert check(site, page).verdict is Verdict.BASELINE


def test_first_read_is_the_baseline_not_a_change(site: PageServer) -> None:
    page = make_page()
    site.route("/help", Reply(page="help_v1.html", etag='"v1"'))
    result = check(site, page)
    assert (result.verdict, result.outcome) == (Verdict.BASELINE, Outcome.OK)
    assert page.stable_hash and page.stable_snapshot.text.startswith("# Control whether")
    assert page.last_checked_at and page.last_changed_at is None
    assert page.etag == '"v1"'
    assert not DetectedChange.objects.exists()


@pytest.mark.parametrize(
    "variant",
    [
        "help_v1_timestamps.html",
        "help_v1_cookie_banner.html",
        "help_v1_nav_reordered.html",
        "help_v1_layout_b.html",
    ],
)
def test_noise_only_variants_are_not_changes(site: PageServer, variant: str) -> None:
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(page=variant))
    assert check(site, page).verdict is Verdict.UNCHANGED
    assert check(site, page).verdict is Verdict.UNCHANGED
    assert not DetectedChange.objects.exists()
    assert len(site.hits("/help")) == 3  # no confirming refetch: nothing looked new


def test_page_alternating_between_two_layouts_reports_nothing(site: PageServer) -> None:
    page = make_page()
    site.route("/help", *[Reply(page=p) for p in ["help_v1.html", "help_v1_layout_b.html"] * 4])
    verdicts = [check(site, page).verdict for _ in range(8)]
    assert verdicts == [Verdict.BASELINE] + [Verdict.UNCHANGED] * 7
    assert not DetectedChange.objects.exists()


def test_unchanged_checks_keep_only_the_hash(site: PageServer) -> None:
    page = make_page()
    baseline(site, page)
    check(site, page)
    latest = page.snapshots.first()
    assert (latest.outcome, latest.hash) == ("ok", page.stable_hash)
    assert latest.text == "" and latest.raw == ""


EDITS = {
    "help_v2_renamed.html": [
        "+1. Under How Example uses your data, select Data for AI Model Training."
    ],
    "help_v2_region.html": ["+- European Union, EEA and Switzerland"],
    "help_v2_default_on.html": [
        "-This setting is Off by default.",
        "+This setting is On by default.",
    ],
    "help_v2_deeplink.html": [
        "(https://help.example/mypreferences/d/settings/data-for-generative-ai)"
    ],
}


@pytest.mark.parametrize("edited", sorted(EDITS))
def test_real_edit_is_confirmed_then_queued_with_a_diff(site: PageServer, edited: str) -> None:
    page = make_page()
    baseline(site, page)
    old_hash = page.stable_hash
    site.route("/help", Reply(page=edited))
    result = check(site, page)
    assert result.verdict is Verdict.CHANGED
    assert len(site.hits("/help")) == 3  # the new text was fetched twice before it counted
    change = DetectedChange.objects.get()
    assert result.change_id == change.pk
    assert change.status == DetectedChange.Status.PENDING
    for expected in EDITS[edited]:
        assert expected in change.diff
    assert change.old_snapshot.hash == old_hash
    assert change.new_snapshot.hash == page.stable_hash != old_hash
    assert change.new_snapshot.raw.startswith("<!DOCTYPE html>")
    assert page.last_changed_at is not None
    # Checked again: the new text is now the stable one.
    assert check(site, page).verdict is Verdict.UNCHANGED
    assert DetectedChange.objects.count() == 1


def test_keyword_hits_come_from_the_changed_lines(site: PageServer) -> None:
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(page="help_v2_default_on.html"))
    check(site, page)
    assert DetectedChange.objects.get().keyword_hits == ["default"]


FAILURES = [
    pytest.param(Reply(status=403, page="blocked_akamai.html"), Outcome.BLOCKED, id="403"),
    pytest.param(Reply(status=429, page="blocked_akamai.html"), Outcome.BLOCKED, id="429"),
    pytest.param(Reply(page="blocked_akamai.html"), Outcome.BLOCKED, id="bot-wall-200"),
    pytest.param(
        Reply(status=403, page="challenge_cloudflare.html", headers={"cf-mitigated": "challenge"}),
        Outcome.CHALLENGE,
        id="challenge-403",
    ),
    pytest.param(Reply(page="challenge_cloudflare.html"), Outcome.CHALLENGE, id="challenge-200"),
    pytest.param(Reply(body=""), Outcome.EMPTY, id="empty-200"),
    pytest.param(Reply(page="spa_shell.html"), Outcome.EMPTY, id="js-shell"),
    pytest.param(Reply(page="redesigned.html"), Outcome.SELECTOR_MISSING, id="selector-missing"),
    pytest.param(Reply(hang=True), Outcome.ERROR, id="timeout"),
    pytest.param(Reply(status=500, body="<p>Oops, server error here</p>"), Outcome.ERROR, id="500"),
    pytest.param(
        Reply(body=b"%PDF-1.7 binary", content_type="application/pdf"), Outcome.NOT_HTML, id="pdf"
    ),
    pytest.param(Reply(size=3_000_000), Outcome.TOO_LARGE, id="huge"),
    pytest.param(
        Reply(status=302, redirect="https://elsewhere.example/help"),
        Outcome.REDIRECTED_OFFSITE,
        id="offsite-redirect",
    ),
]


@pytest.mark.parametrize(("reply", "outcome"), FAILURES)
def test_failures_are_classified_and_never_a_change(
    site: PageServer, reply: Reply, outcome: Outcome
) -> None:
    page = make_page()
    baseline(site, page)
    stable = page.stable_hash
    site.route("/help", reply)
    result = check(site, page, timeout=0.5, max_bytes=1_000_000)
    assert (result.verdict, result.outcome) == (Verdict.FAILED, outcome)
    assert not DetectedChange.objects.exists()
    assert (page.stable_hash, page.failures) == (stable, 1)
    snapshot = page.snapshots.first()
    assert (snapshot.outcome, snapshot.hash) == (outcome.value, "")
    assert len(snapshot.raw) <= watch.FAILURE_RAW_CAP
    # The page comes back as it was: unchanged, and the failure streak is over.
    site.route("/help", Reply(page="help_v1.html"))
    assert check(site, page).verdict is Verdict.UNCHANGED
    assert page.failures == 0


def test_a_failure_in_between_is_not_the_text_a_change_is_compared_with(
    site: PageServer,
) -> None:
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(status=403, page="blocked_akamai.html"))
    check(site, page)
    site.route("/help", Reply(page="help_v2_region.html"))
    assert check(site, page).verdict is Verdict.CHANGED
    diff = DetectedChange.objects.get().diff
    assert "+- European Union, EEA and Switzerland" in diff
    changed = [ln for ln in diff.splitlines()[2:] if ln.startswith(("+", "-"))]
    assert changed == ["+- European Union, EEA and Switzerland"]


def test_new_text_not_seen_again_on_refetch_is_unconfirmed(site: PageServer) -> None:
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(page="help_v2_default_on.html"), Reply(page="help_v1.html"))
    assert check(site, page).verdict is Verdict.UNCONFIRMED
    assert not DetectedChange.objects.exists()


def test_page_flipping_between_two_versions_is_not_a_change(site: PageServer) -> None:
    page = make_page()
    versions = ["help_v1.html", "help_v2_default_on.html"] * 6
    site.route("/help", *[Reply(page=v) for v in versions])
    verdicts = [check(site, page).verdict for _ in range(4)]
    # v1 | v2 then v1 on the refetch | v2 again: seen before, and v1 came back after it.
    assert verdicts[:3] == [Verdict.BASELINE, Verdict.UNCONFIRMED, Verdict.FLIP]
    assert Verdict.CHANGED not in verdicts
    assert not DetectedChange.objects.exists()


def test_a_flip_older_than_the_window_no_longer_hides_a_change(site: PageServer) -> None:
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(page="help_v2_default_on.html"), Reply(page="help_v1.html"))
    check(site, page)
    Snapshot.objects.update(fetched_at=timezone.now() - timedelta(days=30))
    site.route("/help", Reply(page="help_v2_default_on.html"))
    assert check(site, page).verdict is Verdict.CHANGED


def test_change_whose_refetch_failed_is_confirmed_at_the_next_run(site: PageServer) -> None:
    page = make_page()
    baseline(site, page)
    site.route(
        "/help", Reply(page="help_v2_region.html"), Reply(status=403, page="blocked_akamai.html")
    )
    assert check(site, page).verdict is Verdict.UNCONFIRMED
    site.route("/help", Reply(page="help_v2_region.html"))
    assert check(site, page).verdict is Verdict.CHANGED
    assert DetectedChange.objects.count() == 1


def test_304_is_unchanged_without_parsing(
    site: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page()
    site.route("/help", Reply(page="help_v1.html", etag='"v1"'))
    check(site, page)

    def no_parsing(*args, **kwargs):
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(watch, "extract", no_parsing)
    result = check(site, page)
    assert (result.verdict, result.outcome) == (Verdict.UNCHANGED, Outcome.NOT_MODIFIED)
    assert site.hits("/help")[1].headers["If-None-Match"] == '"v1"'
    assert len(site.hits("/help")) == 2
    snapshot = page.snapshots.first()
    assert (snapshot.outcome, snapshot.status_code, snapshot.text) == ("not_modified", 304, "")
    assert snapshot.hash == page.stable_hash


def test_304_on_if_modified_since_is_unchanged(site: PageServer) -> None:
    page = make_page()
    site.route("/help", Reply(page="help_v1.html", last_modified=LAST_MODIFIED))
    check(site, page)
    assert check(site, page).outcome is Outcome.NOT_MODIFIED
    assert site.hits("/help")[1].headers["If-Modified-Since"] == LAST_MODIFIED


def test_editing_the_declarations_rebases_silently(site: PageServer) -> None:
    page = make_page()
    site.route("/help", Reply(page="help_v1.html", etag='"v1"'))
    check(site, page)
    page.select = ["main h1", "main ol"]
    page.remove = []
    page.save(update_fields=["select", "remove"])
    result = check(site, page)
    assert result.verdict is Verdict.BASELINE
    assert "If-None-Match" not in site.hits("/help")[1].headers  # read in full, not a 304
    assert page.stable_snapshot.text.startswith("# Control whether")
    assert not DetectedChange.objects.exists()


def test_corrupt_html_is_read_without_a_crash(site: PageServer) -> None:
    page = make_page()
    site.route("/help", Reply(page="corrupt.html"))
    assert check(site, page).verdict is Verdict.BASELINE
    assert "This setting is Off by default." in page.stable_snapshot.text
    assert check(site, page).verdict is Verdict.UNCHANGED


def test_redirect_within_the_site_is_followed(site: PageServer) -> None:
    page = make_page(path="/old-help")
    site.route("/old-help", Reply(status=301, redirect="/help"))
    site.route("/help", Reply(page="help_v1.html"))
    assert check(site, page).verdict is Verdict.BASELINE
    assert page.stable_snapshot.final_url == f"https://{HOST}/help"


def test_invalid_selector_is_an_error_not_a_crash(site: PageServer) -> None:
    page = make_page(select=["main["])
    site.route("/help", Reply(page="help_v1.html"))
    result = check(site, page)
    assert (result.verdict, result.outcome) == (Verdict.FAILED, Outcome.ERROR)
    assert "invalid selector" in result.error


def test_inactive_or_missing_page_is_skipped(site: PageServer) -> None:
    page = make_page(active=False)
    assert watch.check_page(page.pk, **fast(site)) is None
    assert watch.check_page(10**9, **fast(site)) is None
    assert site.requests == []


def test_failures_in_a_row_alert_the_editors_once(
    site: PageServer, settings, smtp_sink, staff, django_capture_on_commit_callbacks
) -> None:
    settings.WATCH_ALERT_AFTER = 3
    User.objects.create(email="visitor@optout.test")  # not staff: never emailed
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(status=403, page="blocked_akamai.html"))
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert check(site, page).verdict is Verdict.FAILED
    assert page.failures == 5 and page.unwatchable_since is not None
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert smtp_sink.recipients == ["editor@optout.test"]
    assert "can no longer be watched" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert page.url in body and "blocked (HTTP 403)" in body
    site.route("/help", Reply(page="help_v1.html"))
    check(site, page)
    assert (page.failures, page.unwatchable_since) == (0, None)


def test_different_failures_in_a_row_also_count(site: PageServer, settings) -> None:
    settings.WATCH_ALERT_AFTER = 3
    page = make_page()
    baseline(site, page)
    site.route(
        "/help",
        Reply(status=429),
        Reply(page="challenge_cloudflare.html"),
        Reply(page="redesigned.html"),
    )
    for _ in range(3):
        check(site, page)
    assert page.unwatchable_since is not None


def test_staff_are_emailed_when_a_change_lands_in_the_queue(
    site: PageServer, smtp_sink, staff, django_capture_on_commit_callbacks
) -> None:
    page = make_page(title="Data & AI help")
    baseline(site, page)
    site.route("/help", Reply(page="help_v2_default_on.html"))
    with django_capture_on_commit_callbacks(execute=True):
        check(site, page)
    change = DetectedChange.objects.get()
    [message] = smtp_sink.messages
    assert smtp_sink.recipients == ["editor@optout.test"]
    assert "changed" in message["Subject"] and "default" in message["Subject"]
    assert '"Data & AI help" changed' in message["Subject"]  # plain text is not HTML-escaped
    body = message.get_body(("plain",)).get_content()
    assert '"Data & AI help"' in body
    assert "Data &amp; AI help" in message.get_body(("html",)).get_content()
    assert f"/admin/watcher/detectedchange/{change.pk}/change/" in body
    assert "+This setting is On by default." in body
    assert "default" in message.get_body(("html",)).get_content()


def test_a_mail_failure_does_not_undo_the_check(
    site: PageServer, smtp_sink, staff, django_capture_on_commit_callbacks
) -> None:
    smtp_sink.refuse_with = "554 no thanks"
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(page="help_v2_default_on.html"))
    with django_capture_on_commit_callbacks(execute=True):
        assert check(site, page).verdict is Verdict.CHANGED
    assert DetectedChange.objects.count() == 1


def test_status_for_guide_lists_the_cited_pages_in_one_query(
    site: PageServer, django_assert_num_queries
) -> None:
    platform = make_platform()
    cited = make_page(platform=platform)
    make_page(path="/terms", platform=platform, title="Terms")
    guide = make_guide(
        platform,
        sources=[{"url": cited.url + "/", "title": "Help", "verified_on": "2026-01-01"}],
    )
    site.route("/help", Reply(page="help_v1.html"))
    check(site, cited)
    with django_assert_num_queries(1):
        status = pages.status_for_guide(guide)
    assert [(s.title, s.url, s.watchable) for s in status] == [(cited.title, cited.url, True)]
    assert status[0].last_checked_at == cited.last_checked_at
    assert status[0].last_changed_at is None


def test_watch_status_include_renders_the_dates(site: PageServer) -> None:
    from django.template.loader import render_to_string

    page = make_page()
    site.route("/help", Reply(page="help_v1.html"))
    check(site, page)
    status = [pages.PageStatus(page.title, page.url, page.last_checked_at, None, False, None)]
    html = render_to_string("watcher/guide_status.html", {"watch_pages": status})
    assert "last checked" in html and "no change seen" in html
    assert "cannot read this page automatically" in html
    assert render_to_string("watcher/guide_status.html", {"watch_pages": []}).strip() == ""


def test_prune_keeps_what_is_referenced(site: PageServer) -> None:
    page = make_page()
    baseline(site, page)
    site.route("/help", Reply(page="help_v2_region.html"))
    check(site, page)
    check(site, page)
    Snapshot.objects.update(fetched_at=timezone.now() - timedelta(days=365))
    change = DetectedChange.objects.get()
    deleted = watch.prune_snapshots(days=90)
    assert deleted > 0
    left = set(Snapshot.objects.values_list("pk", flat=True))
    assert left == {change.old_snapshot_id, change.new_snapshot_id, page.stable_snapshot_id}


def test_watch_pages_command_checks_one_platform(site: PageServer, settings) -> None:
    settings.WATCH_HOST_DELAY, settings.WATCH_BACKOFF, settings.WATCH_TIMEOUT = 0, 0, 2
    one, other = make_platform(), make_platform()
    make_page(platform=one, url=site.url("/help"))
    make_page(platform=other, url=site.url("/terms"))
    site.route("/help", Reply(page="help_v1.html"))
    from io import StringIO

    out = StringIO()
    call_command("watch_pages", "--platform", one.slug, stdout=out)
    assert f"baseline    ok                 {one.slug} {site.url('/help')}" in out.getvalue()
    assert "checked 1 page(s): 1 baseline" in out.getvalue()
    assert site.hits("/terms") == []
    with pytest.raises(CommandError):
        call_command("watch_pages", "--platform", "no-such-platform", stdout=out)


def test_watch_all_task_checks_every_active_page(site: PageServer, settings) -> None:
    settings.WATCH_HOST_DELAY, settings.WATCH_BACKOFF, settings.WATCH_TIMEOUT = 0, 0, 2
    platform = make_platform()
    for path in ("/help", "/terms"):
        make_page(platform=platform, url=site.url(path))
    make_page(platform=platform, url=site.url("/gone"), active=False)
    site.route("/help", Reply(page="help_v1.html"))
    site.route("/terms", Reply(page="help_v1.html"))
    with eager_celery():
        assert tasks.watch_all.delay([platform.slug]).get() == 2
    assert WatchedPage.objects.filter(platform=platform, stable_hash="").count() == 1  # /gone
    assert (len(site.hits("/help")), len(site.hits("/terms")), site.hits("/gone")) == (1, 1, [])


def test_check_task_returns_quietly_when_the_page_is_gone() -> None:
    assert tasks.check_page(10**9) is None


def test_beat_schedules_the_watcher_under_its_task_name() -> None:
    from django.conf import settings as django_settings

    from optout_site.celery import app

    app.loader.import_default_modules()
    entry = django_settings.CELERY_BEAT_SCHEDULE["watch-pages"]
    assert entry["task"] == "watcher.watch_all" == tasks.watch_all.name
    assert entry["task"] in app.tasks
    assert entry["schedule"] == django_settings.WATCH_EVERY_HOURS * 3600
