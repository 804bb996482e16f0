"""Letter pages: what each law's letter claims, the ways to send it, and that nothing
typed into a letter is stored anywhere (database, cache, logs)."""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import subprocess
import uuid
from urllib.parse import unquote

from django.conf import settings
from django.db import connection

from guides.models import Guide
from tests.conftest import needs
from tracker.models import Request

LINKEDIN = "/me/letters/linkedin/object-to-ai-processing/gdpr-objection/"
LINKEDIN_UK = "/me/letters/linkedin/object-to-ai-processing/uk-gdpr-objection/"
SLACK_EMAIL = "/me/letters/slack/owner-opt-out-email/email-slack/"
SLACK_ADMIN = "/me/letters/slack/ask-your-admin/ask-owner/"


def test_letter_page_is_a_plain_form_that_works_without_js(client, content):
    response = client.get(LINKEDIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post"' in html and 'name="grounds"' in html and 'name="examples"' in html
    assert "Nothing you type here is stored" in html
    assert "no-store" in response["Cache-Control"]


def test_gdpr_objection_states_grounds_and_only_article_21_rights(client, content):
    response = client.post(
        LINKEDIN,
        {"name": "Ana", "account": "ana@example.org", "examples": ["livelihood"], "grounds": "X"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Article 21(1) of the GDPR" in html
    assert "grounds relating to my particular situation" in html
    assert "imitate my work" in html and "- X" in html
    assert "within one month" in html
    # a form route: its link and which field to paste into, no mailto
    assert 'href="https://www.linkedin.com/help/linkedin/ask/TS-DPRO"' in html
    assert "free-text box" in html and "mailto:" not in html
    assert "no-store" in response["Cache-Control"]


def test_uk_objection_names_uk_gdpr_and_the_ico(client, content):
    html = client.post(LINKEDIN_UK, {"grounds": "mine"}).content.decode()
    assert "UK GDPR" in html and "Information Commissioner" in html


def test_objection_without_grounds_is_a_clear_400_that_keeps_what_was_typed(client, content):
    response = client.post(LINKEDIN, {"name": "Ana Typed"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "needs grounds relating to your particular situation" in html
    assert 'value="Ana Typed"' in html


def test_email_route_offers_mailto_with_subject_and_body(client, content):
    html = client.post(SLACK_EMAIL, {"name": "Sam"}).content.decode()
    href = html.split('href="mailto:', 1)[1].split('"', 1)[0]
    decoded = unquote(href.replace("&amp;", "&"))
    assert decoded.startswith("feedback@slack.com?subject=Slack Global model opt-out request")
    assert "&body=" in decoded and "Sam" in decoded


def test_admin_request_is_the_guides_request_to_the_admin(client, content):
    html = client.post(SLACK_ADMIN, {"name": "Sam"}).content.decode()
    assert "Your Slack Workspace Owner or Primary Owner" in html
    assert "Could you opt our workspace out?" in html
    assert 'href="mailto:?subject=' in html


def test_ccpa_letter_says_there_is_no_ai_training_right(client, content):
    from tests.factories import make_guide, make_platform

    platform = make_platform(slug="calco", name="CalCo")
    route = {
        "key": "ccpa",
        "law": "ccpa",
        "recipient": {"email": "privacy@calco.example", "source": "https://example.org/help"},
        "asks": "Know and delete",
        "regions": ["us"],
    }
    make_guide(platform, slug="ask", kind="email", requests=[route])
    html = client.post("/me/letters/calco/ask/ccpa/", {"rights": ["know", "opt-out"]}).content
    html = html.decode()
    assert "no right aimed at the training of AI models" in html
    assert "Right to know" in html and "Right to opt out of sale or sharing" in html
    assert "Right to delete" not in html
    assert "Article 21" not in html
    assert "45 days" in html


def test_openai_ccpa_route_writes_to_the_address_its_privacy_policy_gives(client, content):
    """The real content's CCPA route: know and delete, by email to the address that
    OpenAI's privacy policy names for California residents; offered in the US region."""
    url = "/me/letters/chatgpt/privacy-portal-request/ccpa-know-delete/"
    html = client.post(url, {"name": "Sam", "rights": ["know", "delete"]}).content.decode()
    href = unquote(html.split('href="mailto:', 1)[1].split('"', 1)[0].replace("&amp;", "&"))
    assert href.startswith("dsar@openai.com?subject=California Consumer Privacy Act request")
    assert "no right aimed at the training of AI models" in href and "Right to delete" in href
    guide = Guide.objects.get(platform__slug="chatgpt", slug="privacy-portal-request")
    quotes = [q for s in guide.sources if s["id"] == "privacy-policy" for q in s["quote"]]
    assert any("dsar@openai.com" in q and "CCPA" in q for q in quotes)

    def offered(region: str) -> str:
        client.post("/region/", {"region": region})
        html = client.get(guide.get_absolute_url()).content.decode()
        item = html.split(f'href="{url}"', 1)[0].rsplit("<li", 1)[1]
        return "other region" if 'class="muted"' in item else "your region"

    assert offered("us") == "your region" and offered("eu") == "other region"


def test_txt_download_and_print_view(client, content):
    data = {"name": "Ana", "grounds": "mine", "action": "txt"}
    response = client.post(LINKEDIN, data)
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment;" in response["Content-Disposition"]
    assert "Subject: Objection under Article 21(1) GDPR" in response.content.decode()
    printed = client.post(LINKEDIN, {**data, "action": "print"}).content.decode()
    assert '<pre class="letter">' in printed and "Ana" in printed


def _dump_database() -> bytes:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    args = ["pg_dump", "--data-only", "-h", db["HOST"], "-p", str(db["PORT"] or 5432)]
    args += ["-U", db["USER"], db["NAME"]]
    return subprocess.run(args, check=True, capture_output=True, env=env).stdout


def _redis_everything() -> list[bytes]:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for key in client.scan_iter(count=1000):
        found.append(key)
        kind = client.type(key)
        if kind == b"string":
            value = client.get(key) or b""
            found.append(value)
            if b"\x1f\x8b" in value:  # a gzipped page inside a pickled entry
                with contextlib.suppress(OSError, EOFError):
                    found.append(gzip.decompress(value[value.index(b"\x1f\x8b") :]))
        elif kind == b"list":
            found.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            found.extend(b"%s=%s" % kv for kv in client.hgetall(key).items())
        elif kind == b"set":
            found.extend(client.smembers(key))
    return found


def test_nothing_typed_into_a_letter_is_stored_anywhere(client, transactional_db, caplog):
    needs("postgresql")
    needs("redis")
    from guides.loader import sync
    from tests.celery_eager import eager_celery

    with eager_celery():  # the flushed database publishes its history again on load
        sync()
    caplog.set_level(logging.DEBUG)
    name = f"Name{uuid.uuid4().hex}"
    grounds = f"Grounds{uuid.uuid4().hex}"
    handle = f"handle{uuid.uuid4().hex}"
    typed = {"name": name, "grounds": grounds, "account": handle, "country": "Ireland"}
    for action in ("show", "print", "txt"):
        response = client.post(LINKEDIN, {**typed, "action": action})
        assert name.encode() in response.content and grounds.encode() in response.content
    client.post(f"{LINKEDIN}sent/", {"authority": "ie"})
    client.get("/me/")
    client.cookies.pop("messages", None)  # the flash was shown: pages are cached again
    client.get("/me/")
    client.get("/platforms/linkedin/object-to-ai-processing/")
    assert Request.objects.count() == 1

    needles = [name.encode(), grounds.encode(), handle.encode()]
    dump = _dump_database()
    assert b"gdpr-art21" in dump  # the dump does hold the request itself
    assert [n for n in needles if n in dump] == []
    cached = _redis_everything()
    assert cached, "the page cache stored something, so the scan saw real entries"
    assert [n for n in needles for v in cached if n in v] == []
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert [n for n in needles if n.decode() in logged] == []


def test_letter_pages_are_valid_html(client, content):
    from tests.test_html import assert_valid

    pages = [client.get(LINKEDIN), client.post(LINKEDIN, {"grounds": "mine"})]
    pages.append(client.post(LINKEDIN, {"grounds": "mine", "action": "print"}))
    pages.append(client.post(LINKEDIN, {}))  # the 400 with its message
    pages.append(client.post(SLACK_EMAIL, {}))
    client.post(f"{LINKEDIN}sent/", {"authority": "ie", "note": "n"})
    pages += [client.get("/me/"), client.post("/me/calendar/")]
    pages.append(client.get("/platforms/linkedin/object-to-ai-processing/"))
    for response in pages:
        assert_valid(response.content.decode(), response.request["PATH_INFO"])
