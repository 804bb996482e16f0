"""The tracker: ticking, statuses, personas, lists, export and erase."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guides.models import Guide, PolicyChange, Step
from guides.signals import publish
from tests.factories import make_guide, make_platform
from tracker.models import Progress, User, Visitor

pytestmark = pytest.mark.django_db

GUIDE = "/platforms/linkedin/generative-ai-training/"


def tick_url(step: Step) -> str:
    return f"/me/tick/{step.guide.platform.slug}/{step.guide.slug}/{step.key}/"


def linkedin_steps() -> list[Step]:
    return list(
        Step.objects.filter(guide__slug="generative-ai-training", guide__platform__slug="linkedin")
        .select_related("guide__platform")
        .order_by("position")
    )


def tick(client: Client, step: Step, done: bool = True, **kw):
    return client.post(tick_url(step), {"done": "1" if done else "0"}, **kw)


def test_first_tick_creates_visitor_with_signed_httponly_cookie(client, content):
    step = linkedin_steps()[0]
    assert Visitor.objects.count() == 0
    assert client.get(GUIDE).status_code == 200
    assert Visitor.objects.count() == 0, "a page view must not create a visitor"

    response = tick(client, step)

    assert response.status_code == 302
    assert response["Location"] == f"{GUIDE}#step-{step.key}"
    cookie = response.cookies["visitor"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    visitor = Visitor.objects.get()
    assert str(visitor.pk) in cookie.value and cookie.value != str(visitor.pk)  # signed
    assert Progress.objects.get().step == step


def test_tick_without_js_redirects_and_page_shows_it_done(client, content):
    steps = linkedin_steps()
    tick(client, steps[0])
    tick(client, steps[1])
    html = client.get(GUIDE).content.decode()
    assert 'value="2"' in html and "2 of 3 steps done." in html
    assert html.count('class="step done"') == 2
    tick(client, steps[0], done=False)
    html = client.get(GUIDE).content.decode()
    assert "1 of 3 steps done." in html


def test_tick_with_htmx_returns_step_row_and_progress_partial(client, content):
    step = linkedin_steps()[2]
    response = tick(client, step, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith(f'<li class="step done" id="step-{step.key}"')
    assert 'id="guide-progress"' in html and 'hx-swap-oob="true"' in html
    assert 'role="status"' in html and "1 of 3 steps done." in html


def test_repeated_tick_is_idempotent(client, content):
    step = linkedin_steps()[0]
    tick(client, step)
    first = Progress.objects.get().done_at
    tick(client, step)
    assert Progress.objects.count() == 1 and Progress.objects.get().done_at == first


@pytest.mark.parametrize(
    "url",
    [
        "/me/tick/linkedin/generative-ai-training/no-such-step/",
        "/me/tick/linkedin/no-such-guide/open-data-privacy/",
        "/me/tick/no-such-platform/x/y/",
    ],
)
def test_ticking_what_does_not_exist_is_404(client, content, url):
    assert client.post(url, {"done": "1"}).status_code == 404
    assert Progress.objects.count() == 0


def test_malformed_tick_is_a_clear_400(client, content):
    response = client.post(tick_url(linkedin_steps()[0]), {"done": "maybe"})
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()


def test_forged_cookie_is_400_and_loses_nothing(client, content):
    steps = linkedin_steps()
    tick(client, steps[0])
    visitor = Visitor.objects.get()
    forged = Client()
    forged.cookies["visitor"] = f"{visitor.pk}:forgedsignature"
    response = tick(forged, steps[1])
    assert response.status_code == 400
    assert "could not verify your progress cookie" in response.content.decode()
    assert list(Progress.objects.values_list("step_id", flat=True)) == [steps[0].pk]
    # Every write refuses it the same way; a page view still works, showing no progress.
    assert forged.post("/me/platforms/reddit/add/").status_code == 400
    prefs = forged.post("/me/preferences/", {"region": "eu", "account_type": "personal"})
    assert prefs.status_code == 400 and prefs.cookies["visitor"]["max-age"] == 0
    assert Visitor.objects.count() == 1 and visitor.platforms.count() == 0
    assert forged.get(GUIDE).status_code == 200


def test_other_visitors_progress_is_invisible_and_untouchable(content):
    steps = linkedin_steps()
    owner, other = Client(), Client()
    tick(owner, steps[0])
    tick(owner, steps[1])
    tick(other, steps[2])

    other_page = other.get(GUIDE).content.decode()
    assert "1 of 3 steps done." in other_page
    other_data = json.loads(other.get("/me/data.json").content)
    assert [p["step"] for p in other_data["progress"]] == [steps[2].key]

    # Unticking with one's own cookie never touches the owner's rows.
    tick(other, steps[0], done=False)
    owner_visitor = Visitor.objects.get(progress__step=steps[1])
    assert Progress.objects.filter(visitor=owner_visitor).count() == 2

    # The owner's visitor id without its signature is not accepted.
    stealer = Client()
    stealer.cookies["visitor"] = str(owner_visitor.pk)
    assert tick(stealer, steps[3]).status_code == 400
    assert "2 of 3 steps done." not in stealer.get(GUIDE).content.decode()


def test_dashboard_lists_chosen_and_started_platforms_with_statuses(client, content):
    client.post("/me/platforms/reddit/add/")
    client.post("/me/platforms/slack/add/")
    steps = linkedin_steps()
    for step in steps:
        tick(client, step)
    html = client.get("/me/").content.decode()
    for name in ["LinkedIn", "Reddit", "Slack"]:
        assert f">{name}</a>" in html
    assert "No opt-out exists" in html  # Reddit
    assert "Done" in html and "Not started" in html
    assert '<progress id="overall-bar"' in html

    client.post("/me/platforms/reddit/remove/")
    assert ">Reddit</a>" not in client.get("/me/").content.decode()


def test_list_button_with_htmx_returns_just_the_button(client, content):
    response = client.post("/me/platforms/reddit/add/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<form")
    assert "Remove Reddit from my list" in html


def test_region_and_account_type_make_guides_not_applicable(client, content):
    meta_eu = next(g for g in Guide.objects.filter(platform__slug="meta") if "eu" in g.regions)
    client.post("/me/platforms/meta/add/")
    response = client.post("/me/preferences/", {"region": "us", "account_type": "personal"})
    assert response.status_code == 302 and response.cookies["region"].value == "us"
    html = client.get("/me/").content.decode()
    assert meta_eu.title in html and "Not applicable" in html
    page = client.get(meta_eu.get_absolute_url()).content.decode()
    assert "Not needed in your region" in page

    bad = client.post("/me/preferences/", {"region": "mars", "account_type": "personal"})
    assert bad.status_code == 400


def test_policy_change_after_finishing_means_needs_recheck(
    client, content, django_capture_on_commit_callbacks
):
    steps = linkedin_steps()
    for step in steps:
        tick(client, step)
    assert "Done" in client.get("/me/").content.decode()
    guide = steps[0].guide
    change = PolicyChange.objects.create(
        platform=guide.platform,
        date=timezone.localdate(),
        title="Setting renamed to AI training",
        summary="The toggle has a new name.",
    )
    change.affects.add(guide)
    with django_capture_on_commit_callbacks(execute=True):
        publish(change)

    assert "Needs re-check" in client.get("/me/").content.decode()
    page = client.get(GUIDE).content.decode()
    assert "You finished this guide on" in page and "Setting renamed to AI training" in page

    client.post(f"/me/rechecked/linkedin/{guide.slug}/")
    page = client.get(GUIDE).content.decode()
    assert "You finished this guide on" not in page and "status-done" in page


def test_old_history_loaded_later_does_not_ask_for_recheck(
    client, content, django_capture_on_commit_callbacks
):
    for step in linkedin_steps():
        tick(client, step)
    guide = linkedin_steps()[0].guide
    old = PolicyChange.objects.create(
        platform=guide.platform, date=dt.date(2020, 1, 1), title="Old news", summary="."
    )
    old.affects.add(guide)
    with django_capture_on_commit_callbacks(execute=True):
        publish(old)
    assert "Needs re-check" not in client.get("/me/").content.decode()


def test_edited_step_is_flagged_and_new_steps_show_not_done(client, content, tmp_path, settings):
    import shutil

    import yaml

    for step in linkedin_steps():
        tick(client, step)
    data = yaml.safe_load((settings.CONTENT_DIR / "linkedin.yaml").read_text())
    steps = data["guides"][0]["steps"]
    steps[2]["title"] = "Switch off “Use my data for training content creation AI models”"
    steps.append({"key": "new-step", "title": "A new step"})
    data["policy_changes"].append(
        {
            "date": str(timezone.localdate()),
            "title": "Toggle moved",
            "summary": "Moved.",
            "affects": ["generative-ai-training"],
        }
    )
    shutil.copytree(settings.CONTENT_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "linkedin.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    call_command("sync_guides", "--dir", str(tmp_path), stdout=io.StringIO())

    page = client.get(GUIDE).content.decode()
    assert "3 of 4 steps done." in page
    assert page.count("Changed since you ticked it") == 1


def test_removed_steps_are_ignored_in_progress(client, content):
    steps = linkedin_steps()
    for step in steps[:3]:
        tick(client, step)
    Step.objects.filter(pk=steps[3].pk).update(active=False)
    assert "3 of 3 steps done." in client.get(GUIDE).content.decode()


def test_export_json_has_everything_and_csv_has_rows(client, content):
    client.post("/me/platforms/reddit/add/")
    client.post("/me/preferences/", {"region": "eu", "account_type": "personal"})
    tick(client, linkedin_steps()[0])
    data = json.loads(client.get("/me/data.json").content)
    assert data["visitor"]["region"] == "eu"
    assert data["visitor"]["platforms"] == ["reddit"]
    assert data["progress"][0]["step"] == "open-data-privacy"
    assert data["region_cookie"] == "eu"

    response = client.get("/me/progress.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["platform", "guide", "step", "done", "done_at"]
    done = [r for r in rows[1:] if r[3] == "yes"]
    assert len(done) == 1 and done[0][0] == "LinkedIn"
    assert response["Content-Disposition"].startswith("attachment")


def test_delete_everything_erases_all_rows_and_cookies(client, content):
    tick(client, linkedin_steps()[0])
    client.post("/me/platforms/reddit/add/")
    assert client.post("/me/delete/", {}).status_code == 400  # not confirmed: nothing lost
    assert Visitor.objects.count() == 1

    response = client.post("/me/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert Visitor.objects.count() == 0 and Progress.objects.count() == 0
    assert response.cookies["visitor"]["max-age"] == 0
    assert response.cookies["region"]["max-age"] == 0


def test_no_ip_address_is_stored(client, content):
    ip = "203.0.113.77"
    step = linkedin_steps()[0]
    client.post(tick_url(step), {"done": "1"}, REMOTE_ADDR=ip)
    client.post("/me/signin/", {"email": "ip@example.org"}, REMOTE_ADDR=ip)
    client.post("/me/platforms/reddit/add/", REMOTE_ADDR=ip)
    out = io.StringIO()
    call_command("dumpdata", "tracker", "sessions", stdout=out)
    assert ip not in out.getvalue()


def _many(n: int, visitor_client: Client) -> str:
    guide = None
    for _ in range(n):
        platform = make_platform()
        guide = make_guide(platform, steps=6)
        make_guide(platform, steps=3)
        visitor_client.post(f"/me/platforms/{platform.slug}/add/")
        for step in guide.steps.all()[:4]:
            visitor_client.post(f"/me/tick/{platform.slug}/{guide.slug}/{step.key}/", {"done": "1"})
    return guide.get_absolute_url()


@pytest.mark.parametrize("page", ["dashboard", "guide"])
def test_queries_are_constant_with_more_platforms_and_ticks(page):
    counts = []
    for n in (3, 25):
        Visitor.objects.all().delete()
        Guide.objects.all().delete()
        client = Client()
        guide_url = _many(n, client)
        url = "/me/" if page == "dashboard" else guide_url
        client.get(url)  # warm the session
        cache.clear()  # measure the render, not the page cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_account_type_decides_whether_owner_only_guides_apply(client, content):
    client.post("/me/platforms/slack/add/")
    client.post("/me/preferences/", {"region": "", "account_type": "personal"})
    html = client.get("/me/").content.decode()
    owner_row = html[html.index("Opt your workspace out by emailing Slack") :][:400]
    assert "Not applicable" in owner_row
    client.post("/me/preferences/", {"region": "", "account_type": "workspace-admin"})
    html = client.get("/me/").content.decode()
    owner_row = html[html.index("Opt your workspace out by emailing Slack") :][:400]
    assert "Not started" in owner_row


def test_cookie_is_renewed_on_a_new_day_and_unreachable_visitors_are_purged(client, content):
    from tracker.visitors import purge_stale

    tick(client, linkedin_steps()[0])
    visitor = Visitor.objects.get()
    Visitor.objects.filter(pk=visitor.pk).update(last_seen_on=dt.date(2020, 1, 1))
    response = client.get(GUIDE)
    assert response.cookies["visitor"]["max-age"] == 365 * 24 * 3600  # renewed today
    visitor.refresh_from_db()
    assert visitor.last_seen_on == timezone.localdate()

    stale = Visitor.objects.create(last_seen_on=dt.date(2020, 1, 1))
    kept_account = Visitor.objects.create(
        last_seen_on=dt.date(2020, 1, 1),
        user=User.objects.create_user("a@example.org"),
    )
    assert purge_stale() >= 1
    assert not Visitor.objects.filter(pk=stale.pk).exists()
    assert Visitor.objects.filter(pk__in=[visitor.pk, kept_account.pk]).count() == 2


def test_delete_everything_takes_subscriptions_with_it(client, content):
    from tracker.models import EmailToken, Subscription

    tick(client, linkedin_steps()[0])
    client.post(
        "/me/subscribe/",
        {"email": "gone@example.org", "platforms": ["linkedin"], "frequency": "immediate"},
    )
    assert Subscription.objects.filter(email="gone@example.org").exists()
    data = json.loads(client.get("/me/data.json").content)
    assert [s["email"] for s in data["subscriptions"]] == ["gone@example.org"]
    assert client.post("/me/delete/", {"confirm": "on"}).status_code == 302
    assert not Subscription.objects.exists() and not EmailToken.objects.exists()
