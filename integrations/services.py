"""Writes for integrations: API tokens."""

from datetime import timedelta

from django.utils import timezone

from integrations import tokens
from integrations.models import ApiToken

LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(*, name: str, scope: str, created_by) -> tuple[ApiToken, str]:
    """Create a token; returns it with its key, which is not stored and cannot be shown again."""
    prefix, key = tokens.new_key()
    token = ApiToken(name=name, scope=scope, created_by=created_by, prefix=prefix, key_hash=tokens.hash_key(key))
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute per token (no write on every request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
