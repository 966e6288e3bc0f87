"""Writes: a staff user's own settings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import StaffProfile


def staff_language_set(*, user, language: str) -> StaffProfile:
    """Set the language `user` gets notification emails in."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    profile, _created = StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    return profile
