"""Log lines never carry a personal survey link.

A survey token in an access log line, next to the time of an answer, would tell which customer
gave an anonymous answer (and anyone reading the log could answer as them). The token is masked
in Django's log records (handler filter, settings.LOGGING) and in gunicorn's access log
(`--logger-class npsapp.logredact.GunicornLogger`).
"""

import logging
import re

# /s/<token>/… (survey page, thanks) and /campaigns/unsubscribe/<token:signature>/.
_PERSONAL_LINK = re.compile(r"(/(?:s|campaigns/unsubscribe)/)[A-Za-z0-9_:-]{20,}")
MASK = "…"


def redact(text: str) -> str:
    return _PERSONAL_LINK.sub(rf"\1{MASK}", text)


class RedactPersonalLinks(logging.Filter):
    """Rewrites a record's message with personal links masked (the record is then pre-formatted)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is only installed where it serves
    _GunicornLogger = None

if _GunicornLogger is not None:

    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger, with personal links masked in every access-log field (path, referer…)
        and in its error log."""

        def setup(self, cfg):
            super().setup(cfg)
            # gunicorn's error log names the request too ("Error handling request GET /s/…").
            for log in (self.error_log, self.access_log):
                log.addFilter(RedactPersonalLinks())

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
