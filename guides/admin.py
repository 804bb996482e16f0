"""Django admin for guides. The watcher's admin (watched pages, detected changes,
re-verification items) lives in watcher/admin.py."""
