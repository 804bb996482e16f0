"""Test settings: the real settings, with the services the environment names.

`.ci/run` sets DATABASE_URL (PostgreSQL) and REDIS_URL; `REQUIRE_SERVICES=1` there
turns a missing service into an error instead of a skip (see tests/conftest.py).
"""

from optout_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Serve static files from the app folders without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The live server's thread must not keep a connection open past a test, or the test
# database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The watcher's tests serve recorded pages from a local server over http.
WATCH_ALLOWED_TEST_ORIGINS = ["http://127.0.0.1"]
