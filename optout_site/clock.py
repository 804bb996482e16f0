"""Today's date, in one place, so tests can move time without sleeping.

Production reads the real date. A test sets `settings.CLOCK_TODAY` (a date) with
pytest-django's `settings` fixture; the live server thread sees it too.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    fixed = getattr(settings, "CLOCK_TODAY", None)
    return fixed if fixed is not None else timezone.localdate()


def now() -> dt.datetime:
    """Now, or the start of the test day when the clock is fixed."""
    fixed = getattr(settings, "CLOCK_TODAY", None)
    if fixed is None:
        return timezone.now()
    return dt.datetime.combine(fixed, dt.time(12, 0), tzinfo=dt.UTC)
