"""Email-link accounts: single use, short-lived, scanner-safe, no enumeration; merging."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from guides.models import Step
from tracker.models import EmailToken, Progress, User, Visitor

pytestmark = pytest.mark.django_db


def steps() -> list[Step]:
    return list(
        Step.objects.filter(guide__slug="generative-ai-training", guide__platform__slug="linkedin")
        .select_related("guide__platform")
        .order_by("position")
    )


def tick(client: Client, step: Step) -> None:
    client.post(f"/me/tick/linkedin/{step.guide.slug}/{step.key}/", {"done": "1"})


def link_from_outbox(index: int = -1) -> str:
    body = mail.outbox[index].body
    return re.search(r"https?://\S+/me/signin/\S+/", body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_request_answer_is_the_same_for_known_and_unknown_emails(client):
    User.objects.create_user("known@example.org")
    a = client.post("/me/signin/", {"email": "known@example.org"})
    b = client.post("/me/signin/", {"email": "nobody@example.org"})
    assert a.status_code == b.status_code == 200

    def strip(response, email: str) -> str:
        # The page carries a "send it again" form, whose CSRF token is masked afresh.
        html = re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", response.content.decode()
        )
        return html.replace(email, "EMAIL")

    assert strip(a, "known@example.org") == strip(b, "nobody@example.org")
    assert len(mail.outbox) == 2  # both get a link: the first sign-in creates the account
    assert "expires in 15 minutes" in mail.outbox[0].body


def test_get_shows_button_and_does_not_use_the_link(client):
    client.post("/me/signin/", {"email": "me@example.org"})
    url = path_of(link_from_outbox())
    for _ in range(3):  # a mail scanner opening it many times
        page = client.get(url)
        assert page.status_code == 200 and 'type="submit"' in page.content.decode()
    assert not EmailToken.objects.filter(used_at__isnull=False).exists()
    assert "_auth_user_id" not in client.session


def test_post_signs_in_once_changes_session_and_creates_account(client):
    client.get("/")
    client.post("/me/signin/", {"email": "Me@Example.org"})
    url = path_of(link_from_outbox())
    before = client.session.session_key
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert client.session.session_key != before
    assert User.objects.get().email == "me@example.org"
    assert "Signed in as me@example.org" in client.get("/me/").content.decode()
    again = Client().post(url)
    assert again.status_code == 410 and "expired or was already used" in again.content.decode()


def test_expired_and_unknown_links_are_clear_4xx(client):
    client.post("/me/signin/", {"email": "me@example.org"})
    url = path_of(link_from_outbox())
    EmailToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(url).status_code == 410
    assert client.post(url).status_code == 410
    assert client.get("/me/signin/not-a-token/").status_code == 410


def test_malformed_email_is_a_400_with_message(client):
    response = client.post("/me/signin/", {"email": "not an email"})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert not mail.outbox


def test_rate_limit_per_email_is_silent_and_per_client_is_429(client):
    for _ in range(5):
        response = client.post("/me/signin/", {"email": "flood@example.org"})
        assert response.status_code == 200
    assert len(mail.outbox) == 3  # the per-address limit quietly stops sending
    statuses = [
        client.post("/me/signin/", {"email": f"user{i}@example.org"}).status_code for i in range(10)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:5]


def test_sign_in_merges_anonymous_progress_union_newest_wins(content):
    s = steps()
    laptop, phone = Client(), Client()
    tick(laptop, s[0])
    tick(laptop, s[1])
    laptop.post("/me/signin/", {"email": "me@example.org"})
    laptop.post(path_of(link_from_outbox()))

    tick(phone, s[1])
    tick(phone, s[2])
    phone.post("/me/platforms/reddit/add/")
    newest = timezone.now() + dt.timedelta(minutes=5)
    Progress.objects.filter(visitor__user__isnull=True, step=s[1]).update(done_at=newest)
    phone.post("/me/signin/", {"email": "me@example.org"})
    phone.post(path_of(link_from_outbox()))

    account = Visitor.objects.get(user__email="me@example.org")
    assert Visitor.objects.count() == 1
    ticks = {p.step_id: p.done_at for p in account.progress.all()}
    assert set(ticks) == {s[0].pk, s[1].pk, s[2].pk}
    assert ticks[s[1].pk] == newest
    assert list(account.platforms.values_list("slug", flat=True)) == ["reddit"]
    for device in (laptop, phone):
        assert (
            "3 of 3 steps done."
            in device.get("/platforms/linkedin/generative-ai-training/").content.decode()
        )


def test_sign_out_leaves_progress_with_the_account(content):
    client = Client()
    tick(client, steps()[0])
    client.post("/me/signin/", {"email": "me@example.org"})
    client.post(path_of(link_from_outbox()))
    response = client.post("/me/signout/")
    assert response.status_code == 302 and response.cookies["visitor"]["max-age"] == 0
    page = client.get("/platforms/linkedin/generative-ai-training/").content.decode()
    assert "0 of 3 steps done." in page
    assert Progress.objects.filter(visitor__user__email="me@example.org").count() == 1


def test_delete_everything_removes_account_tokens_and_sessions(content):
    client = Client()
    tick(client, steps()[0])
    client.post("/me/signin/", {"email": "me@example.org"})
    client.post(path_of(link_from_outbox()))
    assert client.post("/me/delete/", {"confirm": "on"}).status_code == 302
    assert not User.objects.exists() and not Visitor.objects.exists()
    assert not EmailToken.objects.exists() and not Progress.objects.exists()
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists()


# Views that accept POST without a CSRF token, on purpose (RFC 8058 one-click).
CSRF_EXEMPT = {"tracker:unsubscribe_one_click", "tracker:unsubscribe"}


def _all_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _all_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else ""
            yield prefix + str(entry.pattern), name


def _example_path(pattern: str) -> str:
    path = re.sub(r"<int:\w+>", "1", pattern)  # an int converter does not match "x"
    path = re.sub(r"<(?:\w+:)?(\w+)>", "x", path).lstrip("^").rstrip("$")
    return "/" + path.replace("\\", "")


def test_no_unsafe_request_is_accepted_without_csrf_token(content):
    client = Client(enforce_csrf_checks=True)
    checked = 0
    for pattern, name in _all_patterns():
        if pattern.startswith("admin/") or name in CSRF_EXEMPT or "(?P" in pattern:
            continue
        path = _example_path(pattern)
        for method in ("post", "put", "delete", "patch"):
            response = getattr(client, method)(path, headers={"HX-Request": "true"})
            # The CSRF check runs before any view, so even a GET-only view answers 403.
            assert response.status_code == 403, (method, path, response.status_code)
        checked += 1
    assert checked >= 15


def test_behind_a_proxy_clients_are_told_apart_by_the_hop_the_proxy_added(settings):
    settings.BEHIND_PROXY = True
    proxy = "10.0.0.1"
    for i in range(10):
        response = Client().post(
            "/me/signin/",
            {"email": f"a{i}@example.org"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 198.51.100.{i}",
        )
        assert response.status_code == 200  # ten different clients, one proxy
    spoofed = [
        Client()
        .post(
            "/me/signin/",
            {"email": f"b{i}@example.org"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.9",
        )
        .status_code
        for i in range(11)
    ]
    assert spoofed[-1] == 429  # a forged first entry does not dodge the limit


def test_one_link_mechanism_for_sign_in_and_confirmation():
    from tracker import email_links
    from tracker.models import EmailToken

    for purpose in EmailToken.Purpose.values:
        raw = email_links.issue(purpose, "Ada@Example.org", lifetime=dt.timedelta(minutes=5))
        row = EmailToken.objects.get(purpose=purpose)
        assert row.email == "ada@example.org" and raw not in row.token_hash  # hashed at rest
        with pytest.raises(email_links.InvalidLink):
            email_links.find("sign-in" if purpose != "sign-in" else "confirm-subscription", raw)
        if purpose == EmailToken.Purpose.CONFIRM:
            continue  # a confirmation link without its subscription is invalid (tested there)
        assert email_links.claim(purpose, raw).used_at is not None
        with pytest.raises(email_links.UsedLink) as used:
            email_links.claim(purpose, raw)  # the second of a double POST loses
        assert used.value.status == 410 and isinstance(used.value, email_links.LinkError)
    late = email_links.issue("sign-in", "b@example.org", lifetime=dt.timedelta(seconds=-1))
    with pytest.raises(email_links.ExpiredLink):
        email_links.find("sign-in", late)
