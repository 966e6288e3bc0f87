"""An email backend for the real-stack tests' child processes: one file per email, to count them.

With NPSAPP_TEST_EMAIL_STALL_AFTER=k, a process hangs before writing the mailbox's (k+1)th
email, as a worker does on a mail server that stopped answering: the test then kills it there,
mid-task, at a point it knows, instead of at a random moment.
"""

import os
import time
import uuid
from email import message_from_bytes
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class FileMailbox(BaseEmailBackend):
    def send_messages(self, messages):
        directory = Path(settings.EMAIL_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        stall_after = os.environ.get("NPSAPP_TEST_EMAIL_STALL_AFTER")
        for message in messages:
            if stall_after is not None and len(list(directory.glob("*.eml"))) >= int(stall_after):
                while True:  # until the test kills this process
                    time.sleep(1)
            name = directory / f"{uuid.uuid4().hex}.eml"
            temporary = name.with_suffix(".tmp")
            temporary.write_bytes(message.message().as_bytes())
            os.replace(temporary, name)  # a reader never sees half an email
        return len(messages)


def sent_emails(directory: Path) -> list:
    """The emails in the mailbox, parsed (email.message.Message)."""
    return [message_from_bytes(path.read_bytes()) for path in sorted(Path(directory).glob("*.eml"))]
