"""Overdue requests: exactly one email per request, with the follow-up, the authority's
complaint page and a complaint drafted from stored fields, to a confirmed address only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.celery_eager import eager_celery
from tests.smtp_sink import SmtpSink
from tracker import overdue, overdue_tasks
from tracker.models import Request, RequestEmail, Subscription, User, Visitor

D = dt.date
SENT_URL = "/me/letters/linkedin/object-to-ai-processing/gdpr-objection/sent/"


@pytest.fixture
def beat(django_capture_on_commit_callbacks):
    """One run of the beat task, its after-commit sends run by an eager Celery."""

    def run() -> None:
        with eager_celery(), django_capture_on_commit_callbacks(execute=True):
            overdue_tasks.find_overdue_requests()

    return run


def _sent(client, settings, authority="ie") -> Request:
    settings.CLOCK_TODAY = D(2027, 1, 31)
    client.post(SENT_URL, {"authority": authority})
    return Request.objects.latest("pk")


def _confirm_subscription(req: Request, email="ana@example.org") -> Subscription:
    return Subscription.objects.create(
        email=email, visitor=req.visitor, confirmed_at=timezone.now()
    )


def test_overdue_request_gets_exactly_one_email(client, content, settings, smtp_sink, beat):
    req = _sent(client, settings)
    _confirm_subscription(req)
    settings.CLOCK_TODAY = D(2027, 2, 28)  # the due day itself is not late
    beat()
    assert smtp_sink.messages == []
    settings.CLOCK_TODAY = D(2027, 3, 1)
    for _ in range(3):  # beat runs again and again
        beat()
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    text = SmtpSink.text_of(message)
    assert message["To"] == "ana@example.org"
    assert "LinkedIn has not answered" in message["Subject"]
    assert "On 31 January 2027 I sent you a request under Article 21(1) GDPR" in text
    assert "https://dataprotection.ie/en/individuals/exercising-your-rights/" in text
    assert "Complaint" in text and "The answer was due by 28 February 2027" in text
    req.refresh_from_db()
    assert req.status == "overdue" and req.sequence == 1
    assert RequestEmail.objects.get().status == "sent"


def test_no_confirmed_address_means_no_email(client, content, settings, smtp_sink, beat):
    req = _sent(client, settings)
    Subscription.objects.create(email="unconfirmed@example.org", visitor=req.visitor)
    settings.CLOCK_TODAY = D(2027, 3, 10)
    beat()
    assert smtp_sink.messages == [] and not RequestEmail.objects.exists()
    assert Request.objects.get().status == "overdue"


def test_signed_in_account_email_counts_as_confirmed(client, content, settings, smtp_sink, beat):
    req = _sent(client, settings, authority="edpb")
    user = User.objects.create_user("acct@example.org")
    Visitor.objects.filter(pk=req.visitor_id).update(user=user)
    settings.CLOCK_TODAY = D(2027, 3, 10)
    beat()
    [message] = smtp_sink.messages
    text = SmtpSink.text_of(message)
    assert message["To"] == "acct@example.org"
    assert "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en" in text
    assert "We could not read this page" in text


def test_answered_requests_are_never_chased(client, content, settings, smtp_sink, beat):
    req = _sent(client, settings)
    _confirm_subscription(req)
    client.post(f"/me/requests/{req.pk}/update/", {"status": "answered"})
    settings.CLOCK_TODAY = D(2027, 6, 1)
    beat()
    assert smtp_sink.messages == []


def test_a_row_claimed_elsewhere_is_not_sent_twice(client, content, settings, smtp_sink, beat):
    req = _sent(client, settings)
    _confirm_subscription(req)
    settings.CLOCK_TODAY = D(2027, 3, 10)
    [row_id] = overdue.queue()
    assert overdue.send(row_id) is True
    assert overdue.send(row_id) is False  # already sent: the claim fails
    assert overdue.queue() == []
    assert len(smtp_sink.messages) == 1


def test_smtp_trouble_keeps_the_row_for_the_next_run(client, content, settings, smtp_sink, beat):
    req = _sent(client, settings)
    _confirm_subscription(req)
    settings.CLOCK_TODAY = D(2027, 3, 10)
    smtp_sink.refuse_with = "451 try later"
    beat()
    assert smtp_sink.messages == [] and RequestEmail.objects.get().status == "pending"
    smtp_sink.refuse_with = None
    beat()
    assert len(smtp_sink.messages) == 1
