"""The Celery app, configured from Django settings (CELERY_* names).

With no broker configured the settings make every task run eagerly in-process, so
the embedded default needs neither Redis nor a worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "optout_site.settings")

app = Celery("optout_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
