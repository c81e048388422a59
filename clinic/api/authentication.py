"""How API requests authenticate; kept apart from the sign-in views because DRF imports it while it loads."""

from django.db.models import F
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from clinic.roles import remember_roles


class TokenWithRolesAuthentication(TokenAuthentication):
    """DRF's token authentication that reads the user's groups in the same statement as the token and user.

    Every API request asks for the roles (clinic.api.permissions.HasRole); a second round trip per request for
    them cost as much as the token lookup itself.
    """

    def authenticate_credentials(self, key):
        # One row per group of the user (none: one row with NULL), each carrying the token and its user.
        rows = list(Token.objects.select_related("user").filter(key=key).annotate(group_name=F("user__groups__name")))
        if not rows:
            raise AuthenticationFailed(_("Invalid token."))
        token = rows[0]
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        remember_roles(token.user, {row.group_name for row in rows if row.group_name})
        return token.user, token
