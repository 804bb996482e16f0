"""The watcher's models move from guides to watcher without losing a row: a real
PostgreSQL database with rows in the old tables is migrated from before the move to
after it, and the rows are found through the new models."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import needs
from watcher.models import DetectedChange, Reverification, Snapshot, WatchedPage

BEFORE = [("guides", "0003_labels"), ("watcher", None)]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _leaves() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_rows(apps) -> dict[str, int]:
    """Rows written through the historical guides models, as a deployment has them."""
    Platform = apps.get_model("guides", "Platform")
    WatchedPageOld = apps.get_model("guides", "WatchedPage")
    SnapshotOld = apps.get_model("guides", "Snapshot")
    DetectedChangeOld = apps.get_model("guides", "DetectedChange")
    platform = Platform.objects.create(
        slug="moved", name="Moved", category="social", website="https://moved.example", summary="s"
    )
    page = WatchedPageOld.objects.create(
        platform=platform, url="https://moved.example/help", title="Help", stable_hash="abc"
    )
    old = SnapshotOld.objects.create(page=page, outcome="ok", text="before", hash="abc")
    new = SnapshotOld.objects.create(page=page, outcome="ok", text="after", hash="def")
    page.stable_snapshot = old
    page.save()
    change = DetectedChangeOld.objects.create(
        page=page, old_snapshot=old, new_snapshot=new, diff="-before\n+after"
    )
    return {"page": page.pk, "old": old.pk, "new": new.pk, "change": change.pk}


@pytest.mark.django_db(transaction=True)
def test_rows_survive_the_move_to_the_watcher_app() -> None:
    needs("postgresql")
    leaves = _leaves()
    executor = _migrate(BEFORE)
    try:
        ids = _old_rows(executor.loader.project_state([BEFORE[0]]).apps)
        ContentType.objects.get_or_create(app_label="guides", model="detectedchange")
        _migrate(leaves)

        page = WatchedPage.objects.get(pk=ids["page"])
        assert (page.url, page.stable_snapshot_id, page.platform.slug) == (
            "https://moved.example/help",
            ids["old"],
            "moved",
        )
        assert list(page.snapshots.order_by("pk").values_list("text", flat=True)) == [
            "before",
            "after",
        ]
        change = DetectedChange.objects.get(pk=ids["change"])
        assert (change.old_snapshot_id, change.new_snapshot_id) == (ids["old"], ids["new"])
        assert change.diff == "-before\n+after" and change.status == "pending"
        # New rows continue after the old ones, and the new table is there.
        assert Snapshot.objects.create(page=page, outcome="ok").pk > ids["new"]
        assert not Reverification.objects.exists()
        # Permissions editors hold stay attached: the content type moved with the model.
        assert ContentType.objects.filter(app_label="watcher", model="detectedchange").exists()
        assert not ContentType.objects.filter(app_label="guides", model="detectedchange").exists()
    finally:
        _migrate(leaves)
