"""Deadlines and calendars: the content schema, stable UIDs and SEQUENCE bumps, days
left on guide pages that the page cache does not freeze, and iCalendar feeds parsed by
two independent parsers (icalendar and vobject)."""

from __future__ import annotations

import datetime as dt
import shutil

import icalendar
import pytest
import vobject
from django.conf import settings as django_settings

from guides import schema
from guides.loader import sync
from guides.models import Deadline, Platform

D = dt.date
SENT_URL = "/me/letters/linkedin/object-to-ai-processing/gdpr-objection/sent/"


def _route(**kw) -> dict:
    route = {
        "key": "r",
        "law": "gdpr-art21",
        "recipient": {"email": "dpo@example.org", "source": "https://example.org/help"},
        "asks": "Stop",
        "regions": ["eu"],
    }
    route.update(kw)
    return route


def _guide(**kw) -> dict:
    guide = {
        "slug": "g",
        "title": "G",
        "kind": "email",
        "summary": "S",
        "regions": ["eu", "uk"],
        "difficulty": "easy",
        "minutes": 1,
        "sources": [
            {"id": "help", "url": "https://example.org/help", "title": "Help", "kind": "official"}
        ],
        "steps": [{"key": "s", "title": "Send it"}],
    }
    guide.update(kw)
    return guide


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (
            _route(recipient={"email": "a@b.org", "form": "https://x.org/f", "source": "x"}),
            "one of",
        ),
        (_route(recipient={"email": "a@b.org"}), "needs the source"),
        (_route(recipient={"email": "a@b.org", "source": "https://other.org/"}), "not a source"),
        (_route(regions=["us"]), "not a guide region"),
        (_route(law="gdpr-art99"), "Input should be"),
    ],
)
def test_bad_request_routes_are_refused_with_a_reason(route, message):
    with pytest.raises(ValueError, match=message):
        schema.Guide.model_validate(_guide(requests=[route]))


def test_admin_routes_need_no_source_and_a_deadline_needs_its_evidence_paired():
    schema.Guide.model_validate(_guide(requests=[_route(recipient={"role": "Your admin"})]))
    base = {
        "date": "2025-05-27",
        "title": "T",
        "kind": "training-starts",
        "source": "https://x.org",
    }
    schema.Deadline.model_validate(base)
    with pytest.raises(ValueError, match="checked_on is required"):
        schema.Deadline.model_validate({**base, "quote": ["q"]})
    with pytest.raises(ValueError, match="forbidden without"):
        schema.Deadline.model_validate({**base, "checked_on": "2026-01-01"})


def test_real_content_declares_routes_and_deadlines(content):
    linkedin = Platform.objects.get(slug="linkedin")
    guide = linkedin.guides.get(slug="object-to-ai-processing")
    assert {r["law"] for r in guide.requests} == {"gdpr-art21", "uk-gdpr-art21"}
    assert (
        guide.requests[0]["recipient"]["form"]
        == "https://www.linkedin.com/help/linkedin/ask/TS-DPRO"
    )
    assert linkedin.deadlines.get().date == D(2025, 11, 3)
    assert Deadline.objects.get(platform__slug="meta").date == D(2025, 5, 27)


def test_editing_a_deadline_keeps_its_uid_and_bumps_sequence(db, tmp_path, settings):
    shutil.copy(django_settings.CONTENT_DIR / "linkedin.yaml", tmp_path / "linkedin.yaml")
    sync(tmp_path)
    row = Deadline.objects.get(platform__slug="linkedin")
    assert row.sequence == 0
    path = tmp_path / "linkedin.yaml"
    path.write_text(
        path.read_text().replace(
            "date: 2025-11-03\n    title: LinkedIn starts",
            "date: 2025-11-04\n    title: LinkedIn starts",
        )
    )
    sync(tmp_path)
    row.refresh_from_db()
    assert (row.date, row.sequence, row.key) == (D(2025, 11, 4), 1, "training-extended-europe")
    sync(tmp_path)  # unchanged: nothing moves
    row.refresh_from_db()
    assert row.sequence == 1


def _future_deadline(day: dt.date) -> Deadline:
    platform = Platform.objects.get(slug="linkedin")
    return Deadline.objects.create(
        platform=platform,
        key="test-window",
        date=day,
        title="Objection window closes",
        kind="window-closes",
        affects=["object-to-ai-processing"],
        source="https://www.linkedin.com/legal/privacy-policy",
        fingerprint="x",
    )


def test_guide_page_counts_days_left_and_the_cache_does_not_freeze_it(client, content, settings):
    _future_deadline(D(2027, 1, 11))
    url = "/platforms/linkedin/object-to-ai-processing/"
    settings.CLOCK_TODAY = D(2027, 1, 1)
    assert "10 days left" in client.get(url).content.decode()
    assert "10 days left" in client.get(url).content.decode()  # a cache hit
    settings.CLOCK_TODAY = D(2027, 1, 2)
    page = client.get(url).content.decode()
    assert "9 days left" in page and "10 days left" not in page
    other = client.get("/platforms/linkedin/generative-ai-training/").content.decode()
    assert "Objection window closes" not in other  # it affects another guide only


def _parse_both(body: bytes) -> tuple[list, list]:
    ical = icalendar.Calendar.from_ical(body)
    events = list(ical.walk("VEVENT"))
    vcal = vobject.readOne(body.decode())
    vevents = list(getattr(vcal, "vevent_list", []))
    return events, vevents


def test_public_feeds_are_valid_icalendar(client, content):
    for url in ("/deadlines.ics", "/platforms/linkedin/deadlines.ics"):
        response = client.get(url)
        assert response["Content-Type"].startswith("text/calendar")
        body = response.content
        assert body.endswith(b"END:VCALENDAR\r\n") and all(
            len(line) <= 75 for line in body.split(b"\r\n")
        )
        events, vevents = _parse_both(body)
        assert events and len(events) == len(vevents)
        uids = [str(e["UID"]) for e in events]
        assert len(set(uids)) == len(uids)
        for event, vevent in zip(events, vevents, strict=True):
            assert isinstance(event.decoded("DTSTART"), dt.date)
            assert not isinstance(event.decoded("DTSTART"), dt.datetime)
            assert event.decoded("DTSTAMP").tzinfo is not None
            assert int(event["SEQUENCE"]) >= 0
            assert vevent.uid.value == str(event["UID"])
            assert vevent.dtstart.value == event.decoded("DTSTART")
    linkedin = client.get("/platforms/linkedin/deadlines.ics").content
    [event], _ = _parse_both(linkedin)
    assert str(event["UID"]).startswith("deadline-linkedin-training-extended-europe@")
    assert event.decoded("DTSTART") == D(2025, 11, 3)
    assert client.get("/platforms/nope/deadlines.ics").status_code == 404


def _calendar_url(client) -> str:
    html = client.post("/me/calendar/").content.decode()
    url = html.split('id="calendar-url" type="text" readonly value="', 1)[1].split('"', 1)[0]
    return url.split("testserver", 1)[1]


def test_personal_calendar_has_reply_due_and_recheck_dates(client, content, settings):
    settings.CLOCK_TODAY = D(2027, 1, 31)
    client.post(SENT_URL, {"authority": "ie"})
    guide = Platform.objects.get(slug="linkedin").guides.get(slug="generative-ai-training")
    for step in guide.steps.all():
        client.post(f"/me/tick/linkedin/{guide.slug}/{step.key}/", {"done": "1"})
    url = _calendar_url(client)
    body = client.get(url).content
    events, vevents = _parse_both(body)
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert len(vevents) == 2
    due = next(e for s, e in by_summary.items() if s.startswith("Reply due: LinkedIn"))
    assert due.decoded("DTSTART") == D(2027, 2, 28) and int(due["SEQUENCE"]) == 0
    recheck = next(e for s, e in by_summary.items() if s.startswith("Re-check: LinkedIn"))
    assert recheck.decoded("DTSTART") > dt.date.today()
    # a change bumps SEQUENCE and keeps the UID
    from tracker.models import Request

    req = Request.objects.get()
    client.post(f"/me/requests/{req.pk}/update/", {"status": "extended"})
    events2, _ = _parse_both(client.get(url).content)
    due2 = next(e for e in events2 if str(e["UID"]) == str(due["UID"]))
    assert int(due2["SEQUENCE"]) == 1 and due2.decoded("DTSTART") == D(2027, 4, 30)


def test_calendar_tokens_are_revocable_and_unknown_ones_are_404(client, content):
    from django.test import Client

    first = _calendar_url(client)
    assert client.get(first).status_code == 200
    second = _calendar_url(client)  # a new address turns the old one off
    assert client.get(first).status_code == 404
    assert Client().get(second).status_code == 200  # the secret address is the key
    client.post("/me/calendar/revoke/")
    assert client.get(second).status_code == 404
    assert Client().get("/me/calendar/not-a-token.ics").status_code == 404
