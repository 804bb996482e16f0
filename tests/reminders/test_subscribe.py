"""Subscribing, confirming, managing and leaving: double opt-in and RFC 8058."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guides.signals import publish
from tests.reminders.conftest import make_change, make_followers
from tracker import emails
from tracker.models import EmailToken, Reminder, Subscription

pytestmark = pytest.mark.django_db


def subscribe(client, email="ada@example.org", platforms=("chirper",), **extra):
    data = {"email": email, "platforms": list(platforms), "frequency": "immediate", **extra}
    return client.post(reverse("tracker:subscribe"), data)


def confirm_path(message) -> str:
    return re.search(r"https?://[^/]+(/me/subscribe/confirm/[^/\s]+/)", message.body).group(1)


def publish_now(change, capture):
    with capture(execute=True):
        assert publish(change)


def test_subscribing_sends_only_a_confirmation_email(client, platform, mailoutbox):
    response = subscribe(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("tracker:subscribe_sent")
    assert len(mailoutbox) == 1
    assert "/me/subscribe/confirm/" in mailoutbox[0].body
    sub = Subscription.objects.get(email="ada@example.org")
    assert sub.confirmed_at is None and not sub.active


def test_unconfirmed_subscriber_gets_no_reminder(
    client, platform, mailoutbox, django_capture_on_commit_callbacks
):
    subscribe(client)
    mailoutbox.clear()
    publish_now(make_change(platform), django_capture_on_commit_callbacks)
    assert mailoutbox == []
    assert not Reminder.objects.exists()


def test_confirm_link_get_shows_a_button_and_changes_nothing(client, platform, mailoutbox):
    subscribe(client)
    path = confirm_path(mailoutbox[0])

    response = client.get(path)

    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert Subscription.objects.get().confirmed_at is None


def test_confirm_link_post_confirms_once(client, platform, mailoutbox):
    subscribe(client)
    path = confirm_path(mailoutbox[0])

    response = client.post(path)

    sub = Subscription.objects.get()
    assert sub.active
    assert response.status_code == 302
    assert response["Location"].startswith("/me/subscription/")
    again = client.post(path)
    assert again.status_code == 410
    assert b"already used" in again.content


def test_expired_confirm_link_is_410(client, platform, mailoutbox):
    subscribe(client)
    EmailToken.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    path = confirm_path(mailoutbox[0])

    assert client.get(path).status_code == 410
    response = client.post(path)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert Subscription.objects.get().confirmed_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_confirm_link_is_404(client, method):
    response = getattr(client, method)(reverse("tracker:confirm", args=["no-such-token"]))
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_subscribing_again_does_not_reveal_or_change_a_confirmed_address(
    client, platform, mailoutbox
):
    other = make_followers(platform, 1, prefix="known")[0]
    first = subscribe(Client(), email="new@example.org")
    mailoutbox.clear()

    response = subscribe(client, email=other.email, frequency="weekly")

    assert (response.status_code, response["Location"]) == (first.status_code, first["Location"])
    assert len(mailoutbox) == 1 and "already subscribed" in mailoutbox[0].body
    other.refresh_from_db()
    assert other.frequency == "immediate"


def test_resubscribing_unconfirmed_updates_preferences_and_needs_confirmation(
    client, platform, mailoutbox
):
    subscribe(client)
    subscribe(client, frequency="weekly")
    sub = Subscription.objects.get()
    assert sub.frequency == "weekly" and sub.confirmed_at is None
    assert len(mailoutbox) == 2


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not-an-email", "platforms": ["chirper"], "frequency": "immediate"},
        {"email": "a@example.org", "frequency": "immediate"},
        {"email": "a@example.org", "platforms": ["no-such-platform"], "frequency": "immediate"},
        {"email": "a@example.org", "platforms": ["chirper"], "frequency": "hourly"},
        {},
    ],
)
def test_malformed_subscribe_form_is_400(client, platform, mailoutbox, data):
    response = client.post(reverse("tracker:subscribe"), data)
    assert response.status_code == 400
    assert b'class="error"' in response.content
    assert mailoutbox == [] and not Subscription.objects.exists()


def test_subscribe_with_htmx_returns_partials(client, platform, mailoutbox):
    htmx = {"HTTP_HX_REQUEST": "true"}
    bad = client.post(reverse("tracker:subscribe"), {"email": "x"}, **htmx)
    assert bad.status_code == 400
    assert b"<html" not in bad.content and b'id="subscribe"' in bad.content

    good = client.post(
        reverse("tracker:subscribe"),
        {"email": "ada@example.org", "platforms": ["chirper"], "frequency": "weekly"},
        **htmx,
    )
    assert good.status_code == 200
    assert b"<html" not in good.content and b"Check your email" in good.content


def test_subscribe_page_lists_platforms_with_the_guides_platform_checked(client, platform):
    response = client.get(reverse("tracker:subscribe") + "?platform=chirper")
    assert response.status_code == 200
    assert re.search(rb'value="chirper" id="subscribe-p-chirper" checked', response.content)


def test_included_form_preselects_the_platform_and_my_platforms(rf, platform):
    from tests.factories import make_platform

    mine = make_platform(name="Pixgram", slug="pixgram")
    request = rf.get("/")
    html = render_to_string(
        "tracker/subscribe_form.html",
        {"platform": platform, "my_platforms": [platform, mine]},
        request=request,
    )
    assert html.count('name="platforms"') == 2
    assert 'value="pixgram" id="subscribe-p-pixgram" checked' in html
    assert 'name="csrfmiddlewaretoken"' in html


# --- manage ---------------------------------------------------------------------------


def test_manage_link_updates_preferences(client, platform):
    sub = make_followers(platform, 1)[0]
    url = reverse("tracker:manage", args=[emails.signed_token(sub, emails.MANAGE_SALT)])

    assert client.get(url).status_code == 200
    response = client.post(url, {"platforms": ["chirper"], "frequency": "weekly"})

    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.frequency == "weekly"
    assert client.post(url, {"platforms": [], "frequency": "weekly"}).status_code == 400


def test_manage_link_can_delete_everything_about_the_address(client, platform):
    sub = make_followers(platform, 1)[0]
    url = reverse("tracker:manage", args=[emails.signed_token(sub, emails.MANAGE_SALT)])
    assert client.post(url, {"action": "delete"}).status_code == 200
    assert not Subscription.objects.exists()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["manage", "unsubscribe"])
def test_tampered_or_cross_purpose_links_are_404(client, platform, name):
    sub = make_followers(platform, 1)[0]
    other_salt = emails.UNSUBSCRIBE_SALT if name == "manage" else emails.MANAGE_SALT
    for token in [emails.signed_token(sub, other_salt), sub.token, sub.token + ":forged"]:
        response = client.post(reverse(f"tracker:{name}", args=[token]))
        assert response.status_code == 404
    sub.refresh_from_db()
    assert sub.active


# --- RFC 8058 one-click unsubscribe ---------------------------------------------------------


def test_one_click_unsubscribe_follows_rfc_8058(platform):
    sub = make_followers(platform, 1)[0]
    url = reverse("tracker:unsubscribe", args=[emails.signed_token(sub, emails.UNSUBSCRIBE_SALT)])
    mail_client = Client(enforce_csrf_checks=True)  # no cookies, no CSRF token

    first = mail_client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    second = mail_client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert first.status_code == 200 and second.status_code == 200
    assert "Location" not in first and "Location" not in second
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None and not sub.active


def test_unsubscribe_get_shows_a_button_and_changes_nothing(client, platform):
    sub = make_followers(platform, 1)[0]
    url = reverse("tracker:unsubscribe", args=[emails.signed_token(sub, emails.UNSUBSCRIBE_SALT)])

    response = client.get(url)

    assert response.status_code == 200
    assert b'method="post"' in response.content
    sub.refresh_from_db()
    assert sub.active


def test_next_change_skips_who_unsubscribed(
    platform, mailoutbox, django_capture_on_commit_callbacks
):
    stay, leave = make_followers(platform, 2)
    url = reverse("tracker:unsubscribe", args=[emails.signed_token(leave, emails.UNSUBSCRIBE_SALT)])
    assert Client().post(url).status_code == 200

    publish_now(make_change(platform), django_capture_on_commit_callbacks)

    assert [m.to for m in mailoutbox] == [[stay.email]]


def test_one_client_asking_for_many_addresses_gets_429_after_the_limit(
    client, platform, mailoutbox
):
    from tracker.ratelimit import SUBSCRIBE_PER_CLIENT

    statuses = [
        subscribe(client, email=f"stranger{i}@example.org").status_code
        for i in range(SUBSCRIBE_PER_CLIENT.limit + 2)
    ]

    assert statuses[: SUBSCRIBE_PER_CLIENT.limit] == [302] * SUBSCRIBE_PER_CLIENT.limit
    assert statuses[SUBSCRIBE_PER_CLIENT.limit :] == [429, 429]
    assert len(mailoutbox) == SUBSCRIBE_PER_CLIENT.limit  # the limited ones sent nothing
    response = subscribe(client, email="one-more@example.org")
    page = response.content.decode()
    assert response.status_code == 429 and "<h1>Too many requests from here</h1>" in page
    assert "wait an hour" in page
    assert not Subscription.objects.filter(email="one-more@example.org").exists()
    htmx = client.post(
        reverse("tracker:subscribe"),
        {"email": "x@example.org", "platforms": ["chirper"], "frequency": "immediate"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 429 and b'id="subscribe"' in htmx.content
    assert b"<html" not in htmx.content
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert subscribe(other, email="neighbour@example.org").status_code == 302


def test_rate_limits_keep_no_address_or_ip_in_the_cache(client, platform):
    from django.core.cache import cache

    from tests.conftest import needs

    needs("redis")
    subscribe(client, email="private.person@example.org")
    client.post("/me/signin/", {"email": "private.person@example.org"})
    keys = b" ".join(cache._cache.get_client().keys("*"))
    assert b":rl:subscribe-client:" in keys and b":rl:signin-email:" in keys
    assert b"private" not in keys and b"127.0.0.1" not in keys


def test_rate_limits_fail_open_when_the_cache_is_down(settings):
    from tracker import ratelimit

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nobody listens
        }
    }
    assert ratelimit.address_allowed("a@example.org", ratelimit.SIGN_IN_PER_ADDRESS)
    limit = ratelimit.SUBSCRIBE_PER_CLIENT
    assert all(ratelimit.allow(limit.bucket, "k", limit=1, window=60) for _ in range(3))
