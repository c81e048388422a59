"""Who may do what through the API: roles are groups (clinic.roles); the matrix is in the README.

A view declares `roles`: a dict from action (viewset action name, or the lower-case HTTP method of a plain
APIView) to the roles allowed; "*" is the default for actions not named. A signed-in user without any clinic role
may do nothing.
"""

from rest_framework.permissions import BasePermission

from clinic.roles import CLINIC_ADMIN, FRONT_DESK, PRACTITIONER, has_role

STAFF = (FRONT_DESK, PRACTITIONER, CLINIC_ADMIN)
CLINICAL = (PRACTITIONER, CLINIC_ADMIN)
ADMIN = (CLINIC_ADMIN,)


class HasRole(BasePermission):
    """Allow the request when the user holds one of the roles the view gives its action."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not handles(view, request):
            return True  # the view answers 405 next: the method is refused for everyone, whatever their role
        return has_role(request.user, *allowed_roles(view, request))


def handles(view, request) -> bool:
    """Whether the view has a handler for the request's method (a viewset: an action mapped to it)."""
    method = request.method.lower()
    if method not in view.http_method_names:
        return False
    if hasattr(view, "action_map"):
        return method in view.action_map or method == "options"
    return hasattr(view, method)


def allowed_roles(view, request) -> tuple[str, ...]:
    roles = getattr(view, "roles", {"*": STAFF})
    action = getattr(view, "action", None) or request.method.lower()
    return roles.get(action, roles.get("*", ()))


def is_clinical(user) -> bool:
    """Practitioners and clinic admins see clinical detail; the front desk sees demographics and names only."""
    return has_role(user, *CLINICAL)
