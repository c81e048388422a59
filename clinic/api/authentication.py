"""How API requests authenticate; kept apart from the sign-in views because DRF imports it while it loads."""

import hmac
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed

from clinic.models import ApiToken
from clinic.roles import remember_roles


def password_fingerprint(user) -> str:
    """Changes whenever the user's password changes (Django's session hash: an HMAC of the password hash)."""
    return user.get_session_auth_hash()


def api_token_issue(*, user) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row (hashed, expiring after CLINIC_TOKEN_TTL_HOURS) and the plain token,
    which is shown once and stored nowhere."""
    ttl = timedelta(hours=settings.CLINIC_TOKEN_TTL_HOURS)
    return ApiToken.objects.create(user=user, expiry=ttl, password_fingerprint=password_fingerprint(user))


class TokenWithRolesAuthentication(TokenAuthentication):
    """knox's token authentication (`Authorization: Token <t>`, hashed, expiring) that also refuses a token issued
    before the user's last password change, and reads the user's groups in the same statement as the token.

    Every API request asks for the roles (clinic.api.permissions.HasRole); a second round trip per request for
    them cost as much as the token lookup itself.
    """

    def authenticate_credentials(self, token):
        invalid = AuthenticationFailed(_("Invalid token."))
        try:
            token = token.decode("utf-8") if isinstance(token, bytes) else token
            digest = hash_token(token)
        except (TypeError, ValueError):
            raise invalid from None
        # One row per group of the user (none: one row with NULL), each carrying the token and its user.
        rows = list(
            ApiToken.objects.select_related("user")
            .filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH], digest=digest)
            .annotate(group_name=F("user__groups__name"))
        )
        if not rows or not hmac.compare_digest(rows[0].digest, digest):
            raise invalid
        api_token = rows[0]
        user = api_token.user
        stale = api_token.expiry is not None and api_token.expiry < timezone.now()
        if stale or not hmac.compare_digest(api_token.password_fingerprint, password_fingerprint(user)):
            ApiToken.objects.filter(digest=api_token.digest).delete()
            raise invalid
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        remember_roles(user, {row.group_name for row in rows if row.group_name})
        return user, api_token
