"""Roles are Django groups; this module names them and answers "may this user act as X?"."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission

FRONT_DESK = "front_desk"
PRACTITIONER = "practitioner"
CLINIC_ADMIN = "clinic_admin"
ALL_ROLES = (FRONT_DESK, PRACTITIONER, CLINIC_ADMIN)


def user_roles(user) -> set[str]:
    """The role names a user holds; a superuser holds them all."""
    if not user or not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(ALL_ROLES)
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._clinic_roles = cached
    return cached


def remember_roles(user, group_names: set[str]) -> None:
    """Record the user's groups, read along with the user, so user_roles needs no query of its own."""
    user._clinic_roles = group_names & set(ALL_ROLES)


def has_role(user, *roles: str) -> bool:
    """True when the user holds at least one of the roles."""
    return bool(user_roles(user) & set(roles))


def project_app_labels() -> list[str]:
    """The labels of the project's own apps: the installed apps that are top-level packages of the repository.

    Read from the app registry, so an app added to INSTALLED_APPS is covered without being listed here.
    """
    base_dir = Path(settings.BASE_DIR).resolve()
    return [config.label for config in apps.get_app_configs() if Path(config.path).resolve().parent == base_dir]


def grant_clinic_admin_permissions(**kwargs):
    """Give the clinic_admin group every permission of the project's apps and of users and groups, so it can work
    in the Django admin.

    Runs after each migrate, because permissions of new models only exist once migrations have run.
    """
    group, _ = Group.objects.get_or_create(name=CLINIC_ADMIN)
    perms = Permission.objects.filter(content_type__app_label__in=[*project_app_labels(), "auth"])
    group.permissions.add(*perms)
