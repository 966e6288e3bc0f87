"""Test settings: the real settings with fast password hashing and no static manifest."""

import os

from npsapp.settings import *  # noqa: F403
from npsapp.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The real-stack tests' child processes (tests/integration) write every email to a file each,
# so a test can count what its worker and beat really sent.
if os.environ.get("NPSAPP_TEST_EMAIL_DIR"):
    EMAIL_BACKEND = "tests.integration.mailbox.FileMailbox"
    EMAIL_FILE_PATH = os.environ["NPSAPP_TEST_EMAIL_DIR"]
