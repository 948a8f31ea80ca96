"""Settings for the test suite: kaizen.settings with in-process jobs, memory mail, fast hashing.

The database comes from ``KAIZEN_DATABASE_URL`` like in production (SQLite in a temporary data
directory when unset), so the same suite runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KAIZEN_DATA_DIR", tempfile.mkdtemp(prefix="kaizen-test-"))
os.environ.setdefault("KAIZEN_BROKER_URL", "memory://")
os.environ.setdefault("KAIZEN_EMAIL_URL", "memory://")
os.environ.setdefault("KAIZEN_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("KAIZEN_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from kaizen.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
