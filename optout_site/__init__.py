"""optout_site: opt-out guides for AI training, progress tracking and reminders."""

from .celery import app as celery_app

__all__ = ["celery_app"]
