"""From detection to reminder, end to end, with real commits: a watched page changes on
the local HTTP server, the watcher queues it and emails staff, an editor records it in
the admin, and the platform's followers get their reminder over real SMTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guides.models import PolicyChange
from tests.factories import make_guide, make_platform
from tests.watcher.kit import check, eager_celery, make_page
from tests.watcher.server import PageServer, Reply
from tracker.models import Reminder, Subscription, User
from watcher.models import DetectedChange

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager() -> Iterator[None]:
    with eager_celery():
        yield


def follow(email: str, platform, *, confirmed: bool = True) -> Subscription:
    sub = Subscription.objects.create(
        email=email,
        confirmed_at=timezone.now() - dt.timedelta(hours=1) if confirmed else None,
    )
    sub.platforms.add(platform)
    return sub


def test_page_change_reaches_followers_after_an_editor_records_it(
    site: PageServer, smtp_sink, eager
) -> None:
    platform = make_platform(name="Chirper", slug="chirper-e2e")
    page = make_page(platform=platform, title="AI training help page")
    guide = make_guide(
        platform,
        title="Turn off AI training",
        sources=[{"url": page.url, "title": "Help", "verified_on": "2026-01-01"}],
    )
    elsewhere = make_platform(name="Elsewhere")
    follow("follower@example.org", platform)
    follow("unconfirmed@example.org", platform, confirmed=False)
    follow("other@example.org", elsewhere)
    editor = User.objects.create(email="editor@optout.test", is_staff=True, is_superuser=True)

    # The watcher reads the page, then sees a real edit, confirmed by a refetch.
    site.route("/help", Reply(page="help_v1.html"))
    check(site, page)
    site.route("/help", Reply(page="help_v2_default_on.html"))
    check(site, page)
    change = DetectedChange.objects.get(page=page)
    [staff_mail] = smtp_sink.to("editor@optout.test")
    assert "AI training help page" in staff_mail["Subject"]
    assert not Reminder.objects.exists()  # detection alone emails no follower

    # The editor reviews it in the admin and records it with the pre-filled form.
    client = Client()
    client.force_login(editor)
    review = client.get(reverse("admin:watcher_detectedchange_change", args=[change.pk]))
    assert "<del>Off</del>" in review.content.decode()
    assert "<ins>On</ins>" in review.content.decode()
    form = review.context["form"]
    data = {name: form.initial[name] for name in ("title", "date", "summary", "source")}
    data |= {"title": "AI training is now on by default", "affects": [guide.pk]}
    response = client.post(reverse("admin:watcher_change_record", args=[change.pk]), data)
    assert response.status_code == 302

    policy = PolicyChange.objects.get(platform=platform)
    assert policy.published_at is not None
    change.refresh_from_db()
    assert (change.status, change.policy_change_id) == ("recorded", policy.pk)

    # Followers of the platform, and only they, got the reminder, once.
    [reminder] = smtp_sink.to("follower@example.org")
    assert "AI training is now on by default" in reminder["Subject"]
    assert smtp_sink.to("unconfirmed@example.org") == []
    assert smtp_sink.to("other@example.org") == []
    assert Reminder.objects.get().status == Reminder.Status.SENT

    # A second "record" (double click) publishes nothing more.
    client.post(reverse("admin:watcher_change_record", args=[change.pk]), data)
    assert len(smtp_sink.to("follower@example.org")) == 1
    assert PolicyChange.objects.filter(platform=platform).count() == 1
