from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from integrations import services, tokens
from integrations.models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. Changes made with a token are attributed to its creator."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: expected 'Bearer <key>'."))
        key = header[1]
        prefix = tokens.split_key(key)
        token = ApiToken.objects.select_related("created_by").filter(prefix=prefix).first() if prefix else None
        if token is None or not tokens.key_matches(key, token.key_hash):
            raise exceptions.AuthenticationFailed(_("Invalid API token."))
        if not token.is_active:
            raise exceptions.AuthenticationFailed(_("This API token has been revoked."))
        services.api_token_touch(token=token)
        return (token.created_by, token)

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token created in the admin."}
