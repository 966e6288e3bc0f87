"""Under `make run` (DEBUG), every log line prints once."""

import io
import logging
import logging.config
import sys

import pytest
from django.conf import settings
from django.utils.log import DEFAULT_LOGGING


@pytest.fixture
def project_logging(settings, monkeypatch):
    """The logging `manage.py` sets up (Django's defaults, then LOGGING), undone after the test.

    Yields what the handlers print: they write to the stderr of the moment they are made."""
    names = ["", "django", "django.server", "django.request", "django.db.backends"]
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level, logging.getLogger(name).propagate)
        for name in names
    }
    settings.DEBUG = True
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    logging.config.dictConfig(DEFAULT_LOGGING)
    logging.config.dictConfig(settings.LOGGING)
    yield stderr
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_a_django_warning_prints_once_and_request_lines_keep_their_format(project_logging):
    logging.getLogger("django.request").warning("Not Found: /nowhere/")
    logging.getLogger("django.server").info('"GET /inbox/ HTTP/1.1" 200 5120')
    logging.getLogger("followups.tasks").info("deadline check: 1 warned, 0 breached")

    err = project_logging.getvalue()
    assert err.count("Not Found: /nowhere/") == 1
    assert err.count('"GET /inbox/ HTTP/1.1" 200 5120') == 1
    assert err.count("deadline check: 1 warned, 0 breached") == 1
    request_line = next(line for line in err.splitlines() if "GET /inbox/" in line)
    assert request_line.startswith("[")  # runserver's timestamp, as Django formats it
    assert settings.LOGGING["loggers"]["django"]["handlers"] == ["mail_admins"]
