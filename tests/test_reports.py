"""Report a problem: a short no-account form on every guide and step, an editors'
queue in the admin, an email to staff over real SMTP, never public, and part of the
reporter's export and erase."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from guides.models import Guide, Step
from tests.celery_eager import eager_celery
from tracker import reports
from tracker.models import ProblemReport, User, Visitor

pytestmark = pytest.mark.django_db

GUIDE = "/platforms/linkedin/generative-ai-training/"
REPORT = "/report/linkedin/generative-ai-training/"


def test_every_guide_and_step_links_to_the_form(client, content):
    html = client.get(GUIDE).content.decode()
    assert f'href="{REPORT}">Report a problem with this guide' in html
    keys = Step.objects.filter(guide__slug="generative-ai-training").values_list("key", flat=True)
    for key in keys:
        assert f'href="{REPORT}?step={key}">Report a problem with this step' in html


def test_the_form_preselects_the_step(client, content):
    html = client.get(REPORT + "?step=switch-off-training").content.decode()
    assert '<option value="switch-off-training" selected>' in html
    assert "Your email (optional)" in html


def test_a_report_lands_in_the_queue_and_emails_staff(
    client, content, smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = ["editor@example.org"]
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            REPORT,
            {"step": "switch-off-training", "message": "The toggle moved to Privacy.", "email": ""},
        )
    assert response.status_code == 302 and response["Location"] == GUIDE
    report = ProblemReport.objects.get()
    assert report.step.key == "switch-off-training" and report.email == ""
    assert report.notified_at is not None
    mail = smtp_sink.wait_for(1)[0]
    assert mail["To"] == "editor@example.org" and "[report] LinkedIn" in mail["Subject"]
    text = smtp_sink.text_of(mail)
    assert "The toggle moved to Privacy." in text
    assert f"/admin/tracker/problemreport/{report.pk}/change/" in text
    page = client.get(GUIDE).content.decode()
    assert "an editor will check this guide" in page
    assert "The toggle moved to Privacy." not in page  # never public
    assert reports.notify_staff(report.pk) == 0  # once


def test_staff_users_are_told_when_no_list_is_set(content, mailoutbox, settings):
    settings.STAFF_EMAILS = []
    User.objects.create_user("staff@example.org", is_staff=True)
    User.objects.create_user("member@example.org")
    guide = Guide.objects.get(slug="generative-ai-training")
    report = ProblemReport.objects.create(guide=guide, message="Broken link")
    assert reports.notify_staff(report.pk) == 1
    assert mailoutbox[0].to == ["staff@example.org"]


def test_an_empty_report_says_what_is_missing(client, content):
    response = client.post(REPORT, {"message": "  ", "email": "not-an-address"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tell us what is wrong." in html and "Enter a valid email address." in html
    assert ProblemReport.objects.count() == 0


def test_reports_are_rate_limited_per_client(client, content):
    for _ in range(reports.LIMIT):
        assert client.post(REPORT, {"message": "Wrong"}).status_code == 302
    response = client.post(REPORT, {"message": "Wrong again"})
    assert response.status_code == 429 and "wait an hour" in response.content.decode()
    assert ProblemReport.objects.count() == reports.LIMIT


def test_reports_need_the_csrf_token(content):
    client = Client(enforce_csrf_checks=True)
    assert client.post(REPORT, {"message": "Wrong"}).status_code == 403
    assert ProblemReport.objects.count() == 0


def test_report_goes_with_the_reporters_export_and_erase(client, content):
    step = Step.objects.get(key="switch-off-training", guide__platform__slug="linkedin")
    client.post(f"/me/tick/linkedin/generative-ai-training/{step.key}/", {"done": "1"})
    client.post(REPORT, {"message": "Moved", "email": "me@example.org"})
    Client().post(REPORT, {"message": "Someone else's"})
    data = json.loads(client.get("/me/data.json").content)
    assert [r["message"] for r in data["problem_reports"]] == ["Moved"]
    assert data["problem_reports"][0]["email"] == "me@example.org"
    client.post("/me/delete/", {"confirm": "on"})
    assert list(ProblemReport.objects.values_list("message", flat=True)) == ["Someone else's"]
    assert not Visitor.objects.exists()


def test_signed_in_export_finds_reports_by_email(client, content):
    guide = Guide.objects.get(slug="generative-ai-training")
    ProblemReport.objects.create(guide=guide, message="Typo", email="Me@Example.org")
    client.force_login(User.objects.create_user("me@example.org"))
    data = json.loads(client.get("/me/data.json").content)
    assert [r["message"] for r in data["problem_reports"]] == ["Typo"]


def test_resolving_a_report_forgets_the_email(content):
    guide = Guide.objects.get(slug="generative-ai-training")
    report = ProblemReport.objects.create(guide=guide, message="Typo", email="me@example.org")
    assert reports.resolve([report.pk]) == 1
    report.refresh_from_db()
    assert report.status == "resolved" and report.email == "" and report.resolved_at


def test_admin_queue_lists_reports_next_to_their_guide(client, content):
    admin = User.objects.create_superuser("boss@example.org", "pw")
    guide = Guide.objects.get(slug="generative-ai-training")
    ProblemReport.objects.create(guide=guide, message="Typo in step 2")
    client.force_login(admin)
    html = client.get("/admin/tracker/problemreport/").content.decode()
    assert "Typo in step 2" in html and f'href="{GUIDE}"' in html
