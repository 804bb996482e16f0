"""Requests: reply dates per law, "I sent it", owner checks, statuses, export and erase."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from guides.models import Guide
from tracker.models import Request, Visitor
from tracker.requests import add_business_days, add_months, reply_due

D = dt.date


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (D(2026, 1, 15), D(2026, 2, 15)),  # same day next month
        (D(2026, 1, 31), D(2026, 2, 28)),  # no 31 Feb: the month's last day
        (D(2028, 1, 31), D(2028, 2, 29)),  # leap year
        (D(2027, 3, 31), D(2027, 4, 30)),
        (D(2026, 12, 31), D(2027, 1, 31)),  # across the year
        (D(2028, 2, 29), D(2028, 3, 29)),
    ],
)
def test_gdpr_reply_is_due_one_month_later(sent, due):
    assert reply_due("gdpr-art21", sent) == due
    assert reply_due("uk-gdpr-art21", sent) == due


def test_gdpr_extension_adds_two_further_months():
    assert reply_due("gdpr-art21", D(2026, 11, 30), extended=True) == D(2027, 2, 28)
    assert add_months(D(2027, 11, 30), 3) == D(2028, 2, 29)


def test_ccpa_know_and_delete_is_45_days():
    assert reply_due("ccpa", D(2026, 1, 1)) == D(2026, 2, 15)
    assert reply_due("ccpa", D(2028, 2, 1)) == D(2028, 3, 17)  # leap February counted


def test_ccpa_opt_out_is_15_business_days():
    # Friday 4 Dec 2026: 15 weekdays later skips three weekends.
    assert reply_due("ccpa", D(2026, 12, 4), ccpa="opt-out") == D(2026, 12, 25)
    assert add_business_days(D(2026, 12, 5), 1) == D(2026, 12, 7)  # Saturday -> Monday


def test_no_legal_duty_has_no_date():
    assert reply_due("none", D(2026, 1, 1)) is None


def _linkedin() -> Guide:
    return Guide.objects.get(platform__slug="linkedin", slug="object-to-ai-processing")


SENT_URL = "/me/letters/linkedin/object-to-ai-processing/gdpr-objection/sent/"


def test_i_sent_it_records_the_request_and_the_guide_is_done(client, content, settings):
    settings.CLOCK_TODAY = D(2027, 1, 31)
    response = client.post(SENT_URL, {"authority": "ie", "note": "ref 123"})
    assert response.status_code == 302
    req = Request.objects.get()
    assert (req.law, req.sent_on, req.reply_due) == ("gdpr-art21", D(2027, 1, 31), D(2027, 2, 28))
    assert req.status == "awaiting-reply" and req.authority == "ie" and req.note == "ref 123"
    page = client.get("/me/").content.decode()
    assert "Awaiting reply, due 28 Feb 2027" in page
    assert "28 days left" in page
    guide_page = client.get(_linkedin().get_absolute_url()).content.decode()
    assert "Awaiting reply, due 28 Feb 2027" in guide_page
    assert 'class="status status-done"' in guide_page


def test_dashboard_counts_down_from_the_clock_and_shows_overdue(client, content, settings):
    settings.CLOCK_TODAY = D(2027, 1, 31)
    client.post(SENT_URL, {"authority": "ie"})
    settings.CLOCK_TODAY = D(2027, 2, 27)
    assert "1 day left" in client.get("/me/").content.decode()
    settings.CLOCK_TODAY = D(2027, 3, 3)
    page = client.get("/me/").content.decode()
    assert "Overdue" in page and "3 days late" in page
    assert "Overdue: the reply was due 28 Feb 2027" in page  # the guide's row too


def test_sent_date_in_the_future_is_a_clear_400(client, content, settings):
    settings.CLOCK_TODAY = D(2027, 1, 31)
    response = client.post(SENT_URL, {"sent_on": "2027-02-02"})
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not Request.objects.exists()


def test_unknown_route_is_404(client, content):
    assert client.post("/me/letters/linkedin/object-to-ai-processing/nope/sent/").status_code == 404
    assert client.get("/me/letters/linkedin/nope/gdpr-objection/").status_code == 404


def test_someone_elses_request_is_404_and_unchanged(client, content, django_user_model):
    from django.test import Client

    client.post(SENT_URL, {"authority": "ie"})
    req = Request.objects.get()
    other = Client()
    other.post("/me/platforms/reddit/add/")
    url = f"/me/requests/{req.pk}/update/"
    assert other.post(url, {"status": "answered"}).status_code == 404
    assert Client().post(url, {"status": "answered"}).status_code == 404
    req.refresh_from_db()
    assert req.status == "awaiting-reply"
    assert client.post(f"/me/requests/{req.pk}/update/", {"status": "answered"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "answered" and req.sequence == 1


def test_extension_moves_the_date_by_two_months(client, content, settings):
    settings.CLOCK_TODAY = D(2027, 1, 31)
    client.post(SENT_URL, {"authority": "ie"})
    req = Request.objects.get()
    client.post(f"/me/requests/{req.pk}/update/", {"status": "extended"})
    req.refresh_from_db()
    assert req.extended and req.reply_due == D(2027, 4, 30)
    # only once
    assert client.post(f"/me/requests/{req.pk}/update/", {"status": "extended"}).status_code == 404


def test_plain_request_to_an_admin_has_no_due_date(client, content):
    client.post("/me/letters/slack/ask-your-admin/ask-owner/sent/", {})
    req = Request.objects.get()
    assert req.law == "none" and req.reply_due is None
    assert "Sent; awaiting reply" in client.get("/me/").content.decode()


def test_requests_and_notes_are_exported_and_deleted_with_everything(client, content):
    client.post(SENT_URL, {"authority": "ie", "note": "my private note"})
    data = json.loads(client.get("/me/data.json").content)
    assert data["requests"][0]["note"] == "my private note"
    assert data["requests"][0]["law"] == "gdpr-art21"
    assert "my private note" in client.get("/me/progress.csv").content.decode()
    client.post("/me/delete/", {"confirm": "on"})
    assert not Request.objects.exists() and not Visitor.objects.exists()


def test_dashboard_queries_do_not_grow_with_requests(client, content):
    client.post(SENT_URL, {"authority": "ie"})
    client.get("/me/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/me/", QUERY_STRING="a=1")
    for _ in range(5):
        client.post(SENT_URL, {"authority": "ie"})
    with CaptureQueriesContext(connection) as six:
        client.get("/me/", QUERY_STRING="a=2")
    assert len(six) == len(one)


def test_signing_in_keeps_requests_and_the_calendar_made_anonymously(client, content):
    from django.test import Client

    from tests.test_accounts import link_from_outbox, path_of
    from tracker.models import CalendarFeed

    client.post(SENT_URL, {"authority": "ie", "note": "kept"})
    client.post("/me/calendar/")
    phone = Client()
    phone.post("/me/letters/slack/ask-your-admin/ask-owner/sent/", {})
    for device in (client, phone):
        device.post("/me/signin/", {"email": "me@example.org"})
        device.post(path_of(link_from_outbox()))
    account = Visitor.objects.get(user__email="me@example.org")
    assert Visitor.objects.count() == 1
    assert sorted(account.requests.values_list("law", flat=True)) == ["gdpr-art21", "none"]
    assert CalendarFeed.objects.get().visitor == account


def test_guide_page_marks_the_letters_for_the_persons_region(client, content):
    client.post("/region/", {"region": "eu", "next": "/"})
    html = client.get("/platforms/linkedin/object-to-ai-processing/").content.decode()
    eu, uk = html.split("Write an objection (GDPR, EU and EEA)", 1)[1].split(
        "Write an objection (UK GDPR)", 1
    )
    assert "Not for your region." not in eu
    assert "Not for your region." in uk
