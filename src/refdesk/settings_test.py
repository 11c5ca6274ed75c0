"""Test settings: the real settings with a fast hasher and locmem email."""

import os
import tempfile

os.environ.setdefault("REFDESK_TESTING", "1")
os.environ.setdefault("REFDESK_DATA_DIR", tempfile.mkdtemp(prefix="refdesk-test-"))

from refdesk.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
