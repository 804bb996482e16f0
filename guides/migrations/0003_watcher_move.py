"""WatchedPage, Snapshot and DetectedChange move to the watcher app (watcher 0001).

State only: their tables and rows stay where they are, and watcher/models.py names
the same tables. Nothing is dropped.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("guides", "0003_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="detectedchange", name="guides_dete_status_91a186_idx"
                ),
                migrations.RemoveConstraint(
                    model_name="detectedchange", name="detected_change_snapshot_unique"
                ),
                migrations.RemoveIndex(model_name="snapshot", name="guides_snap_page_id_cd021f_idx"),
                migrations.RemoveConstraint(model_name="watchedpage", name="watched_page_unique"),
                migrations.RemoveField(model_name="snapshot", name="page"),
                migrations.RemoveField(model_name="watchedpage", name="platform"),
                migrations.RemoveField(model_name="watchedpage", name="stable_snapshot"),
                migrations.DeleteModel(name="DetectedChange"),
                migrations.DeleteModel(name="Snapshot"),
                migrations.DeleteModel(name="WatchedPage"),
            ],
            database_operations=[],
        ),
    ]
