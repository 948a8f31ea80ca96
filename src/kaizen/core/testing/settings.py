"""Settings for the test suite: kaizen.settings with in-process jobs, memory mail, fast hashing.

The database comes from ``KAIZEN_DATABASE_URL`` like in production (SQLite in a temporary data
directory when unset), so the same suite runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile


def _data_dir() -> str:
    """Return the data directory of this test process: one per pytest-xdist worker.

    The controller's directory is inherited by the workers through the environment, so each
    worker (``PYTEST_XDIST_WORKER``: gw0, gw1, ...) takes a subdirectory of its own for SQLite
    files, attachments, media and mail; a process a worker starts keeps the worker's directory.
    """
    base = os.environ.get("KAIZEN_DATA_DIR") or tempfile.mkdtemp(prefix="kaizen-test-")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker and os.path.basename(base.rstrip(os.sep)) != worker:
        base = os.path.join(base, worker)
    return base


os.environ["KAIZEN_DATA_DIR"] = _data_dir()
os.environ.setdefault("KAIZEN_BROKER_URL", "memory://")
os.environ.setdefault("KAIZEN_EMAIL_URL", "memory://")
os.environ.setdefault("KAIZEN_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("KAIZEN_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from kaizen.settings import *  # noqa: E402, F403 (the environment above must be set first)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Test databases are thrown away: their commits (migrations, transactional tests, the live
    # server) need not wait for the WAL flush. Set per connection, so the server is untouched.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
