"""Reads: the language each staff user gets their notification emails in."""

from django.conf import settings

from accounts.models import StaffProfile


def staff_languages(users) -> dict[int, str]:
    """{user id: language} for `users` in one query; the site's language for those who set none."""
    ids = [user.pk for user in users]
    chosen = dict(StaffProfile.objects.filter(user_id__in=ids).values_list("user_id", "language"))
    return {pk: chosen.get(pk) or settings.LANGUAGE_CODE for pk in ids}


def staff_language(user) -> str:
    return staff_languages([user])[user.pk]
