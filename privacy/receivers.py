"""What the privacy log hears from the apps below it (they send signals; they never import this room)."""

from crm.signals import customers_imported
from privacy.choices import PrivacyAction
from privacy.models import PrivacyEvent


def customers_imported_record(sender, *, actor=None, details, **kwargs) -> None:
    """An import of customers: who imported what counts (no personal data)."""
    PrivacyEvent.objects.create(action=PrivacyAction.IMPORT, actor=actor, details=details)


def connect() -> None:
    customers_imported.connect(customers_imported_record, dispatch_uid="privacy-customers-imported")
