"""The watcher app takes over the watcher's three models from guides, tables and rows
included: the tables keep their names (guides_watchedpage, guides_snapshot,
guides_detectedchange), so this only moves them in Django's state; the content types
(and the permissions editors hold on them) move to the new app label. It also creates
the re-verification items' table.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["watchedpage", "snapshot", "detectedchange"]


def move_content_types(apps, schema_editor, old="guides", new="watcher"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="watcher", new="guides")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("guides", "0003_watcher_move"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                            name='Snapshot',
                            fields=[
                                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                                ('fetched_at', models.DateTimeField(default=django.utils.timezone.now)),
                                ('outcome', models.CharField(choices=[('ok', 'ok'), ('not_modified', 'not_modified'), ('blocked', 'blocked'), ('challenge', 'challenge'), ('empty', 'empty'), ('not_html', 'not_html'), ('too_large', 'too_large'), ('redirected_offsite', 'redirected_offsite'), ('refused', 'refused'), ('error', 'error'), ('selector_missing', 'selector_missing')], max_length=20)),
                                ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                                ('final_url', models.CharField(blank=True, max_length=1000)),
                                ('etag', models.CharField(blank=True, max_length=300)),
                                ('last_modified', models.CharField(blank=True, max_length=100)),
                                ('error', models.CharField(blank=True, max_length=300)),
                                ('raw', models.TextField(blank=True, help_text='The body as fetched, capped.')),
                                ('text', models.TextField(blank=True, help_text='The watched part, normalised.')),
                                ('hash', models.CharField(blank=True, max_length=64)),
                            ],
                            options={
                                'db_table': 'guides_snapshot',
                                'ordering': ['-fetched_at', '-id'],
                            },
                        ),
                migrations.CreateModel(
                            name='DetectedChange',
                            fields=[
                                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                                ('diff', models.TextField(help_text='Unified diff of the normalised text.')),
                                ('keyword_hits', models.JSONField(blank=True, default=list)),
                                ('detected_at', models.DateTimeField(default=django.utils.timezone.now)),
                                ('status', models.CharField(choices=[('pending', 'Pending review'), ('recorded', 'Recorded as policy change'), ('dismissed', 'Dismissed')], default='pending', max_length=10)),
                                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                                ('policy_change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='guides.policychange')),
                                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                                ('new_snapshot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='watcher.snapshot')),
                                ('old_snapshot', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='watcher.snapshot')),
                            ],
                            options={
                                'db_table': 'guides_detectedchange',
                                'ordering': ['-detected_at', '-id'],
                            },
                        ),
                migrations.CreateModel(
                            name='WatchedPage',
                            fields=[
                                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                                ('url', models.URLField(max_length=500)),
                                ('title', models.CharField(max_length=200)),
                                ('select', models.JSONField(default=list)),
                                ('remove', models.JSONField(default=list)),
                                ('keywords', models.JSONField(default=list)),
                                ('js', models.BooleanField(default=False)),
                                ('active', models.BooleanField(default=True)),
                                ('spec_hash', models.CharField(blank=True, help_text='select/remove the stable text was made with.', max_length=64)),
                                ('stable_hash', models.CharField(blank=True, max_length=64)),
                                ('last_hash', models.CharField(blank=True, help_text="Hash of the last page read; the validators' text.", max_length=64)),
                                ('etag', models.CharField(blank=True, max_length=300)),
                                ('last_modified', models.CharField(blank=True, max_length=100)),
                                ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                                ('last_checked_at', models.DateTimeField(blank=True, help_text='Last time the page was read successfully.', null=True)),
                                ('last_changed_at', models.DateTimeField(blank=True, null=True)),
                                ('failures', models.PositiveIntegerField(default=0, help_text='Failed checks in a row.')),
                                ('unwatchable_since', models.DateTimeField(blank=True, help_text='Editors were told the page can no longer be watched.', null=True)),
                                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='watched_pages', to='guides.platform')),
                                ('stable_snapshot', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='watcher.snapshot')),
                            ],
                            options={
                                'db_table': 'guides_watchedpage',
                                'ordering': ['platform', 'url'],
                            },
                        ),
                migrations.AddField(
                            model_name='snapshot',
                            name='page',
                            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='watcher.watchedpage'),
                        ),
                migrations.AddField(
                            model_name='detectedchange',
                            name='page',
                            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='detected_changes', to='watcher.watchedpage'),
                        ),
                migrations.AddConstraint(
                            model_name='watchedpage',
                            constraint=models.UniqueConstraint(fields=('platform', 'url'), name='watched_page_unique'),
                        ),
                migrations.AddIndex(
                            model_name='snapshot',
                            index=models.Index(fields=['page', 'fetched_at'], name='guides_snap_page_id_cd021f_idx'),
                        ),
                migrations.AddIndex(
                            model_name='detectedchange',
                            index=models.Index(fields=['status', 'detected_at'], name='guides_dete_status_91a186_idx'),
                        ),
                migrations.AddConstraint(
                            model_name='detectedchange',
                            constraint=models.UniqueConstraint(fields=('new_snapshot',), name='detected_change_snapshot_unique'),
                        ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.CreateModel(
                    name='Reverification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source_id', models.CharField(blank=True, max_length=100)),
                        ('source_url', models.URLField(max_length=500)),
                        ('source_title', models.CharField(blank=True, max_length=200)),
                        ('checked_on', models.DateField(blank=True, help_text='When the quote was last read on the page.', null=True)),
                        ('quote', models.TextField()),
                        ('quote_hash', models.CharField(max_length=64)),
                        ('steps', models.JSONField(blank=True, default=list, help_text='Steps whose source is this one: key and title.')),
                        ('page_hash', models.CharField(help_text='Hash of the page text the quote was missing from.', max_length=64)),
                        ('diff', models.TextField(blank=True, help_text='What changed on the page, when known.')),
                        ('status', models.CharField(choices=[('open', 'Needs re-verification'), ('resolved', 'Resolved')], default='open', max_length=10)),
                        ('detected_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('note', models.TextField(blank=True, help_text='What the editor found.')),
                        ('detected_change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='watcher.detectedchange')),
                        ('guide', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='guides.guide')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('snapshot', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='watcher.snapshot')),
                        ('page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reverifications', to='watcher.watchedpage')),
                    ],
                    options={
                        'ordering': ['-detected_at', '-id'],
                    },
                ),
        migrations.AddIndex(
                    model_name='reverification',
                    index=models.Index(fields=['guide', 'status'], name='watcher_rev_guide_i_26b515_idx'),
                ),
        migrations.AddConstraint(
                    model_name='reverification',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('guide', 'source_url', 'quote_hash'), name='reverification_open_unique'),
                ),
    ]
