"""Small lookups shared by services that accept an instance or its primary key."""

from django.db import models


def instance_or_none(model: type[models.Model], value):
    """A model instance from an instance or a primary key; None when unknown (the caller names the field)."""
    if value is None or isinstance(value, model):
        return value
    try:
        return model.objects.get(pk=value)
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        return None


def is_whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
