"""Test settings: the real settings with fast password hashing and no static manifest."""

import os

# The settings refuse to start without a key when DEBUG is off, as the tests run. The key is
# set for the import only, so processes a test starts with its own environment don't inherit it.
_SECRET_KEY = os.environ.get("SECRET_KEY")
os.environ["SECRET_KEY"] = _SECRET_KEY or "tests-only-key-never-used-outside-the-test-suite"
try:
    from npsapp.settings import *  # noqa: E402, F403
    from npsapp.settings import STORAGES  # noqa: E402
finally:
    if _SECRET_KEY is None:
        del os.environ["SECRET_KEY"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The real-stack tests' child processes (tests/integration) write every email to a file each,
# so a test can count what its worker and beat really sent.
if os.environ.get("NPSAPP_TEST_EMAIL_DIR"):
    EMAIL_BACKEND = "tests.integration.mailbox.FileMailbox"
    EMAIL_FILE_PATH = os.environ["NPSAPP_TEST_EMAIL_DIR"]
