"""The content loader: validation, idempotence, versions, stable step keys."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from guides import schema
from guides.loader import sync
from guides.models import ContentVersion, Guide, Platform, PolicyChange, Step
from tests.conftest import needs

LINKEDIN = settings.CONTENT_DIR / "linkedin.yaml"


def linkedin_data() -> dict:
    return yaml.safe_load(LINKEDIN.read_text())


def write(directory: Path, slug: str, data: dict | str) -> Path:
    path = directory / f"{slug}.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def test_every_real_content_file_is_valid():
    files = sorted(settings.CONTENT_DIR.glob("*.yaml"))
    assert len(files) >= 20
    for path in files:
        platform = schema.parse_file(path)
        for guide in platform.guides:
            assert guide.sources, f"{path.name}: {guide.slug} has no source"


@pytest.mark.django_db
def test_real_content_loads_and_second_run_changes_nothing(tmp_path):
    shutil.copytree(settings.CONTENT_DIR, tmp_path, dirs_exist_ok=True)
    Platform.objects.all().delete()
    first = sync(tmp_path)
    assert not first.errors
    assert len(first.created) == len(list(tmp_path.glob("*.yaml")))
    versions = ContentVersion.objects.count()
    steps = Step.objects.count()

    second = sync(tmp_path)
    assert not second.changed and not second.errors and not second.published
    assert sorted(second.unchanged) == sorted(first.created)
    assert ContentVersion.objects.count() == versions
    assert Step.objects.count() == steps


@pytest.mark.django_db
def test_sync_guides_command_reports_no_changes_on_rerun(tmp_path):
    write(tmp_path, "linkedin", linkedin_data())
    call_command("sync_guides", "--dir", str(tmp_path), stdout=StringIO())
    out = StringIO()
    call_command("sync_guides", "--dir", str(tmp_path), stdout=out)
    assert "no changes" in out.getvalue()


BAD_EDITS = {
    "unknown-kind": (
        lambda d: d["guides"][0].update(kind="toggle"),
        "guides.0.kind",
        "Input should be",
    ),
    "bad-region": (
        lambda d: d["guides"][0].update(regions=["mars"]),
        "guides.0.regions",
        "unknown region 'mars'",
    ),
    "missing-sources": (
        lambda d: d["guides"][0].pop("sources"),
        "guides.0.sources",
        "Field required",
    ),
    "duplicate-step": (
        lambda d: d["guides"][0]["steps"].append(dict(d["guides"][0]["steps"][0])),
        "guides.0",
        "step key 'open-data-privacy' is used twice",
    ),
    "unknown-affected-guide": (
        lambda d: d["policy_changes"][0].update(affects=["nope"]),
        "(file)",
        "affects names unknown guide 'nope'",
    ),
    "future-check": (
        lambda d: d["guides"][0]["sources"][0].update(quote=["Q"], checked_on="2999-01-01"),
        "guides.0.sources.0",
        "checked_on cannot be in the future",
    ),
    "empty-quote": (
        lambda d: d["guides"][0]["sources"][0].update(quote=["  "], checked_on="2026-11-01"),
        "guides.0.sources.0",
        "a quote cannot be empty",
    ),
    "quote-without-checked-on": (
        lambda d: (
            d["guides"][0]["sources"][0].update(quote=["Use my data"]),
            d["guides"][0]["sources"][0].pop("checked_on", None),
        ),
        "guides.0.sources.0",
        "checked_on is required with a quote",
    ),
    "checked-on-without-quote": (
        lambda d: d["guides"][0]["sources"][0].update(
            quote=[], supports=[], checked_on="2026-11-01"
        ),
        "guides.0.sources.0",
        "checked_on without a quote",
    ),
    "supports-without-quote": (
        lambda d: (
            d["guides"][0]["sources"][0].update(quote=[], supports=["label"]),
            d["guides"][0]["sources"][0].pop("checked_on", None),
        ),
        "guides.0.sources.0",
        "supports needs a quote",
    ),
    "unknown-fact": (
        lambda d: d["guides"][0]["sources"][0].update(
            quote=["Q"], checked_on="2026-11-01", supports=["colour"]
        ),
        "guides.0.sources.0.supports.0",
        "Input should be",
    ),
    "press-without-publisher": (
        lambda d: d["guides"][0]["sources"][0].update(
            kind="press", url="https://www.theverge.com/a"
        ),
        "guides.0.sources.0",
        "a press source must name its publisher",
    ),
    "source-without-kind": (
        lambda d: d["guides"][0]["sources"][0].pop("kind"),
        "guides.0.sources.0.kind",
        "Field required",
    ),
    "old-verified-on": (
        lambda d: d["guides"][0]["sources"][0].update(verified_on="2026-11-29"),
        "guides.0.sources.0.verified_on",
        "Extra inputs are not permitted",
    ),
    "duplicate-source-id": (
        lambda d: d["guides"][0]["sources"][1].update(id=d["guides"][0]["sources"][0]["id"]),
        "guides.0",
        "source id 'help' is used twice",
    ),
    "unknown-step-source": (
        lambda d: d["guides"][0]["steps"][0].update(source="nope"),
        "guides.0",
        "steps.0.source names unknown source 'nope'",
    ),
    "official-source-elsewhere": (
        lambda d: d["guides"][0]["sources"][0].update(url="https://linkedin.example.com/help"),
        "guides.0.sources.0.url",
        "an official source must be on the platform's own domains (linkedin.com)",
    ),
    "bad-official-domain": (
        lambda d: d.update(official_domains=["https://lnkd.in"]),
        "official_domains.0",
        "String should match pattern",
    ),
    "setting-without-deep-link": (
        lambda d: [s.pop("link", None) for s in d["guides"][0]["steps"]],
        "guides.0",
        "a setting guide needs a step link, or deep_link: none with a deep_link_reason",
    ),
    "deep-link-none-without-reason": (
        lambda d: d["guides"][0].update(deep_link="none"),
        "guides.0",
        "deep_link: none needs a deep_link_reason",
    ),
    "policy-change-without-source": (
        lambda d: d["policy_changes"][0].pop("source"),
        "policy_changes.0.source",
        "Field required",
    ),
    "policy-change-future-check": (
        lambda d: d["policy_changes"][0].update(quote=["Q"], checked_on="2999-01-01"),
        "policy_changes.0",
        "checked_on cannot be in the future",
    ),
    "no-opt-out-without-alternatives": (
        lambda d: d["guides"][0].update(kind="no-opt-out"),
        "guides.0",
        "must list alternatives",
    ),
    "admin-only-without-who": (
        lambda d: d["guides"][0].update(kind="admin-only"),
        "guides.0",
        "must say who_must_act",
    ),
    "bad-step-key": (
        lambda d: d["guides"][0]["steps"][0].update(key="Open Settings"),
        "guides.0.steps.0.key",
        "String should match pattern",
    ),
    "unknown-field": (
        lambda d: d.update(colour="blue"),
        "colour",
        "Extra inputs are not permitted",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_invalid_file_is_rejected_with_field_and_reason_and_others_still_load(tmp_path, case):
    edit, field, reason = BAD_EDITS[case]
    data = linkedin_data()
    edit(data)
    write(tmp_path, "linkedin", data)
    good = linkedin_data() | {"slug": "good-platform", "name": "Good Platform"}
    write(tmp_path, "good-platform", good)
    Platform.objects.all().delete()

    report = sync(tmp_path)

    assert [e.path for e in report.errors] == ["linkedin.yaml"]
    assert report.errors[0].field == field
    assert reason in report.errors[0].reason
    assert report.created == ["good-platform"]
    assert not Platform.objects.filter(slug="linkedin").exists()


@pytest.mark.django_db
def test_broken_yaml_and_wrong_slug_are_rejected(tmp_path):
    write(tmp_path, "broken", "slug: broken\nname: [unclosed\n")
    write(tmp_path, "other-name", linkedin_data())
    report = sync(tmp_path)
    errors = {e.path: e for e in report.errors}
    assert "not valid YAML" in errors["broken.yaml"].reason
    assert errors["broken.yaml"].field.startswith("line ")
    assert errors["other-name.yaml"].field == "slug"


def test_a_key_given_twice_is_rejected_not_silently_overwritten(tmp_path):
    text = LINKEDIN.read_text().replace(
        "category: social\n", "category: social\nname: Other name\n", 1
    )
    path = write(tmp_path, "linkedin", text)
    with pytest.raises(schema.ContentError) as caught:
        schema.parse_file(path)
    assert caught.value.field.startswith("line ")
    assert "'name' is given twice" in caught.value.reason


@pytest.mark.django_db
def test_command_fails_with_file_field_and_reason(tmp_path):
    data = linkedin_data()
    data["guides"][0]["difficulty"] = "trivial"
    write(tmp_path, "linkedin", data)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("sync_guides", "--dir", str(tmp_path), stdout=StringIO(), stderr=err)
    assert "linkedin.yaml: guides.0.difficulty:" in err.getvalue()


@pytest.mark.django_db
def test_database_error_leaves_nothing_of_the_file_half_written(tmp_path):
    needs("postgresql")  # SQLite does not enforce column lengths
    data = linkedin_data()
    data["policy_changes"][1]["source"] = "https://www.linkedin.com/" + "a" * 600
    write(tmp_path, "linkedin", data)
    Platform.objects.all().delete()
    report = sync(tmp_path)
    assert report.errors and report.errors[0].path == "linkedin.yaml"
    assert not Platform.objects.filter(slug="linkedin").exists()
    assert not Guide.objects.filter(platform__slug="linkedin").exists()


@pytest.mark.django_db
def test_edit_makes_new_version_and_keeps_step_keys(tmp_path):
    Platform.objects.all().delete()
    write(tmp_path, "linkedin", linkedin_data())
    sync(tmp_path)
    guide = Guide.objects.get(platform__slug="linkedin", slug="generative-ai-training")
    kept = Step.objects.get(guide=guide, key="switch-off-training")

    data = linkedin_data()
    steps = data["guides"][0]["steps"]
    steps[2]["title"] = "Switch off the toggle"
    removed = steps.pop(3)["key"]
    steps.append({"key": "screenshot-it", "title": "Take a screenshot as proof"})
    write(tmp_path, "linkedin", data)
    report = sync(tmp_path)

    assert report.updated == ["linkedin"]
    versions = list(ContentVersion.objects.filter(platform__slug="linkedin").order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].data["guides"][0]["steps"][2]["title"] != "Switch off the toggle"
    kept.refresh_from_db()
    assert kept.title == "Switch off the toggle" and kept.active
    assert not Step.objects.get(guide=guide, key=removed).active
    assert Step.objects.get(guide=guide, key="screenshot-it").active


@pytest.mark.django_db
def test_new_policy_change_is_published_once(tmp_path):
    Platform.objects.all().delete()
    write(tmp_path, "linkedin", linkedin_data())
    first = sync(tmp_path)
    assert len(first.published) == len(linkedin_data()["policy_changes"])
    data = linkedin_data()
    data["policy_changes"].append(
        {
            "date": "2026-11-20",
            "title": "A new change",
            "summary": "Something changed.",
            "affects": ["generative-ai-training"],
            "source": "https://www.linkedin.com/legal/privacy-policy",
        }
    )
    write(tmp_path, "linkedin", data)
    second = sync(tmp_path)
    new = PolicyChange.objects.get(title="A new change")
    assert second.published == [new.pk] and new.published_at is not None
    data["policy_changes"][-1]["summary"] = "Typo fixed."
    write(tmp_path, "linkedin", data)
    assert sync(tmp_path).published == []


@pytest.mark.django_db
def test_step_markdown_is_sanitised(tmp_path):
    data = linkedin_data()
    data["guides"][0]["steps"][0]["body"] = (
        "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    )
    write(tmp_path, "linkedin", data)
    Platform.objects.all().delete()
    sync(tmp_path)
    step = Step.objects.get(key="open-data-privacy", guide__slug="generative-ai-training")
    assert "<strong>Bold</strong>" in step.body_html
    assert "<script" not in step.body_html and "javascript:" not in step.body_html


@pytest.mark.django_db
def test_removed_file_deactivates_platform(tmp_path):
    Platform.objects.all().delete()
    write(tmp_path, "linkedin", linkedin_data())
    sync(tmp_path)
    (tmp_path / "linkedin.yaml").unlink()
    report = sync(tmp_path)
    assert report.deactivated == ["linkedin"]
    assert not Platform.objects.get(slug="linkedin").active


@pytest.mark.django_db
def test_evidence_fields_are_loaded_and_source_rows_replaced(tmp_path):
    Platform.objects.all().delete()
    data = linkedin_data()
    data["aliases"] = ["Microsoft LinkedIn"]
    data["official_domains"] = ["lnkd.in"]
    guide = data["guides"][0]
    guide["sources"][0].update(quote=["Use my data"], checked_on="2026-11-01", supports=["label"])
    guide["steps"][0]["source"] = guide["sources"][0]["id"]
    data["policy_changes"][0].update(quote=["On by default"], checked_on="2026-10-01")
    write(tmp_path, "linkedin", data)
    assert not sync(tmp_path).errors

    platform = Platform.objects.get(slug="linkedin")
    assert platform.aliases == ["Microsoft LinkedIn"] and platform.official_domains == ["lnkd.in"]
    loaded = Guide.objects.get(platform=platform, slug=guide["slug"])
    assert loaded.sources[0]["quote"] == ["Use my data"]
    assert loaded.sources[0]["checked_on"] == "2026-11-01"
    assert loaded.steps.get(key=guide["steps"][0]["key"]).source == guide["sources"][0]["id"]
    change = PolicyChange.objects.get(platform=platform, date=data["policy_changes"][0]["date"])
    assert change.quote == ["On by default"] and str(change.checked_on) == "2026-10-01"
    rows = list(loaded.source_rows.order_by("position").values_list("source_id", "checked_on"))
    assert [r[0] for r in rows] == [s["id"] for s in guide["sources"]]
    second = guide["sources"][1].get("checked_on")
    assert str(rows[0][1]) == "2026-11-01" and rows[1][1] == second

    cited = {s.get("source") for s in guide["steps"]}
    cited |= {r["recipient"].get("source") for r in guide.get("requests", [])}
    guide["sources"] = [s for i, s in enumerate(guide["sources"]) if i == 0 or s["id"] in cited]
    write(tmp_path, "linkedin", data)
    assert not sync(tmp_path).errors
    assert loaded.source_rows.count() == len(guide["sources"]) < len(rows)


@pytest.mark.django_db
def test_deep_link_none_with_reason_loads(tmp_path):
    Platform.objects.all().delete()
    data = linkedin_data()
    for step in data["guides"][0]["steps"]:
        step.pop("link", None)
    data["guides"][0].update(deep_link="none", deep_link_reason="Only in the app.")
    write(tmp_path, "linkedin", data)
    assert not sync(tmp_path).errors
    assert Guide.objects.get(slug=data["guides"][0]["slug"]).deep_link_reason == "Only in the app."


@pytest.mark.django_db
def test_policy_change_that_leaves_its_file_leaves_the_history(tmp_path):
    Platform.objects.all().delete()
    write(tmp_path, "linkedin", linkedin_data())
    sync(tmp_path)
    platform = Platform.objects.get(slug="linkedin")
    by_editor = PolicyChange.objects.create(
        platform=platform, date="2026-01-05", title="Added in the admin", summary="."
    )
    data = linkedin_data()
    old_title = data["policy_changes"][0]["title"]
    data["policy_changes"][0]["title"] = "A better title for the same change"
    write(tmp_path, "linkedin", data)
    report = sync(tmp_path)

    titles = set(platform.policy_changes.values_list("title", flat=True))
    assert old_title not in titles and "A better title for the same change" in titles
    assert by_editor.title in titles  # only what the file loaded leaves with it
    assert report.withdrawn == [f"linkedin: {data['policy_changes'][0]['date']} {old_title}"]
