"""The editors' review queue in the Django admin: read the diff, record or dismiss."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from guides.models import PolicyChange
from guides.signals import policy_change_published
from tests.factories import make_guide, make_platform
from tests.watcher.kit import check, eager_celery, make_page
from tests.watcher.server import PageServer, Reply
from tracker.models import User
from watcher.models import DetectedChange, WatchedPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor() -> User:
    return User.objects.create(email="editor@optout.test", is_staff=True, is_superuser=True)


@pytest.fixture
def editor_client(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def detect(site: PageServer, page: WatchedPage, edited: str = "help_v2_default_on.html"):
    site.route("/help", Reply(page="help_v1.html"))
    check(site, page)
    site.route("/help", Reply(page=edited))
    check(site, page)
    return DetectedChange.objects.get(page=page, status="pending")


@pytest.fixture
def change(site: PageServer) -> DetectedChange:
    platform = make_platform(name="Example")
    page = make_page(platform=platform)
    make_guide(
        platform,
        title="Turn off AI training",
        sources=[{"url": page.url, "title": "Help", "verified_on": "2026-01-01"}],
    )
    make_guide(platform, title="Object to all AI use")
    return detect(site, page)


def review_url(change: DetectedChange, suffix: str = "change") -> str:
    if suffix == "change":
        return reverse("admin:watcher_detectedchange_change", args=[change.pk])
    return reverse(f"admin:watcher_change_{suffix}", args=[change.pk])


def record_data(change: DetectedChange, **overrides) -> dict:
    guide = change.page.platform.guides.get(title="Turn off AI training")
    data = {
        "title": "AI training now on by default",
        "date": "2026-11-28",
        "summary": "The setting is now On by default.",
        "affects": [guide.pk],
        "source": change.page.url,
    }
    data.update(overrides)
    return data


def test_queue_lists_pending_changes_first(editor_client: Client, change: DetectedChange) -> None:
    other = DetectedChange.objects.create(
        page=change.page, new_snapshot=change.page.snapshots.last(), diff="", status="dismissed"
    )
    response = editor_client.get(reverse("admin:watcher_detectedchange_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [change]
    response = editor_client.get(reverse("admin:watcher_detectedchange_changelist") + "?queue=all")
    assert set(response.context["cl"].result_list) == {change, other}


def test_review_shows_the_diff_side_by_side_with_keywords(
    editor_client: Client, change: DetectedChange
) -> None:
    response = editor_client.get(review_url(change))
    assert response.status_code == 200
    html = response.content.decode()
    # The changed line, word by word, with the keyword highlighted.
    assert "<del><mark>Off</mark></del>" not in html  # "Off" is not a keyword
    assert "<del>Off</del>" in html and "<ins>On</ins>" in html
    assert "<mark>default</mark>" in html
    assert 'class="watch-skipped"' in html  # long unchanged runs are folded
    assert "Turn off AI training" in html  # the guide that cites the page
    assert "confirmed by a second fetch" in html


def test_review_shows_the_unified_diff(editor_client: Client, change: DetectedChange) -> None:
    html = editor_client.get(review_url(change) + "?view=unified").content.decode()
    assert (
        '<span class="watch-deleted">-This setting is Off by <mark>default</mark>.</span>' in html
    )
    assert '<span class="watch-added">+This setting is On by <mark>default</mark>.</span>' in html


def test_record_form_is_prefilled_and_editable(
    editor_client: Client, change: DetectedChange
) -> None:
    form = editor_client.get(review_url(change)).context["form"]
    cited = change.page.platform.guides.get(title="Turn off AI training")
    assert form.initial["title"] == "Generative AI training help page updated"
    assert "It now says: This setting is On by default." in form.initial["summary"]
    assert "It no longer says: This setting is Off by default." in form.initial["summary"]
    assert form.initial["affects"] == [cited.pk]
    assert form.initial["source"] == change.page.url
    assert set(form.fields["affects"].queryset) == set(change.page.platform.guides.all())


def test_recording_publishes_a_policy_change_once(
    editor_client: Client, editor: User, change: DetectedChange, django_capture_on_commit_callbacks
) -> None:
    published: list[int] = []

    def receiver(sender, change_id, **kwargs):
        published.append(change_id)

    policy_change_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = editor_client.post(review_url(change, "record"), record_data(change))
            again = editor_client.post(review_url(change, "record"), record_data(change))
    finally:
        policy_change_published.disconnect(receiver)
    assert response.status_code == 302
    assert response.url == reverse("admin:watcher_detectedchange_changelist")
    assert again.status_code == 302  # already decided: back to the review page
    policy = PolicyChange.objects.get(platform=change.page.platform)
    assert (policy.title, str(policy.date), policy.summary) == (
        "AI training now on by default",
        "2026-11-28",
        "The setting is now On by default.",
    )
    assert [g.title for g in policy.affects.all()] == ["Turn off AI training"]
    assert policy.published_at is not None and not policy.from_content
    assert published == [policy.pk]
    change.refresh_from_db()
    assert (change.status, change.policy_change, change.reviewed_by) == ("recorded", policy, editor)
    assert change.reviewed_at is not None


def test_record_needs_a_guide_and_keeps_the_editors_text(
    editor_client: Client, change: DetectedChange
) -> None:
    response = editor_client.post(
        review_url(change, "record"), record_data(change, affects=[], summary="My words")
    )
    assert response.status_code == 200
    assert "affects" in response.context["form"].errors
    assert "My words" in response.content.decode()
    assert not PolicyChange.objects.filter(platform=change.page.platform).exists()
    change.refresh_from_db()
    assert change.status == "pending"


def test_record_with_a_taken_date_and_title_is_a_form_error(
    editor_client: Client, change: DetectedChange
) -> None:
    PolicyChange.objects.create(
        platform=change.page.platform,
        date="2026-11-28",
        title="AI training now on by default",
        summary="Already here.",
    )
    response = editor_client.post(review_url(change, "record"), record_data(change))
    assert response.status_code == 200
    assert "already has a policy change" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "pending"
    assert PolicyChange.objects.filter(platform=change.page.platform).count() == 1


def test_dismiss_marks_it_and_publishes_nothing(
    editor_client: Client, editor: User, change: DetectedChange
) -> None:
    response = editor_client.post(review_url(change, "dismiss"))
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.reviewed_by) == ("dismissed", editor)
    assert not PolicyChange.objects.filter(platform=change.page.platform).exists()
    html = editor_client.get(review_url(change)).content.decode()
    assert "Record and publish" not in html  # decided: no more buttons


def test_bulk_dismiss_action(editor_client: Client, change: DetectedChange) -> None:
    response = editor_client.post(
        reverse("admin:watcher_detectedchange_changelist"),
        {"action": "dismiss_selected", "_selected_action": [change.pk]},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "dismissed"


def test_get_on_a_decision_url_changes_nothing(
    editor_client: Client, change: DetectedChange
) -> None:
    assert editor_client.get(review_url(change, "dismiss")).status_code == 302
    assert editor_client.get(review_url(change, "record")).status_code == 302
    change.refresh_from_db()
    assert change.status == "pending"


def test_non_staff_cannot_reach_the_queue(change: DetectedChange) -> None:
    visitor = User.objects.create(email="someone@optout.test")
    client = Client()
    client.force_login(visitor)
    response = client.post(review_url(change, "record"), record_data(change))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert Client().get(review_url(change)).status_code == 302
    assert not PolicyChange.objects.filter(platform=change.page.platform).exists()


def test_staff_without_permissions_get_403(change: DetectedChange) -> None:
    viewer = User.objects.create(email="viewer@optout.test", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_detectedchange"))
    client = Client()
    client.force_login(viewer)
    assert client.get(review_url(change)).status_code == 200
    assert client.post(review_url(change, "record"), record_data(change)).status_code == 403
    assert client.post(review_url(change, "dismiss")).status_code == 403
    change.refresh_from_db()
    assert change.status == "pending"


def test_missing_change_is_404(editor_client: Client) -> None:
    url = reverse("admin:watcher_detectedchange_change", args=[10**9])
    assert editor_client.get(url).status_code == 404


def test_watched_pages_show_the_watchers_state_read_only(
    editor_client: Client, change: DetectedChange
) -> None:
    page = change.page
    response = editor_client.get(reverse("admin:watcher_watchedpage_changelist"))
    assert response.status_code == 200
    assert page.title in response.content.decode()
    response = editor_client.get(reverse("admin:watcher_watchedpage_change", args=[page.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "recent checks" in html.lower() and "<td>ok</td>" in html
    assert 'name="_save"' not in html  # declared in the content files, not edited here


def test_check_now_needs_the_change_permission(site: PageServer, editor_client: Client) -> None:
    page = make_page(url=site.url("/help"))
    site.route("/help", Reply(page="help_v1.html"))
    viewer = User.objects.create(email="viewer@optout.test", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_watchedpage"))
    client = Client()
    client.force_login(viewer)
    changelist = reverse("admin:watcher_watchedpage_changelist")
    action = {"action": "check_now", "_selected_action": [page.pk]}

    assert 'value="check_now"' not in client.get(changelist).content.decode()
    with eager_celery():
        client.post(changelist, action)
    assert site.requests == []  # nothing was queued, nothing fetched
    page.refresh_from_db()
    assert page.last_attempt_at is None

    assert 'value="check_now"' in editor_client.get(changelist).content.decode()
    with eager_celery():
        response = editor_client.post(changelist, action)
    assert response.status_code == 302
    assert len(site.hits("/help")) == 1
    page.refresh_from_db()
    assert page.stable_hash  # the check ran: its first read is the baseline
