"""Serializer fields that accept only the JSON type the schema documents (DRF's are lenient: 0 for false, 5 for "5")."""

from django.core.validators import EmailValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictTypeMixin:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}


class StrictEmailField(StrictTypeMixin, serializers.EmailField):
    pass


@extend_schema_field({"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}]})
class OptionalEmailField(StrictCharField):
    """An email address or empty; the schema says so (plain `format: email` would forbid the empty string)."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, max_length=254, validators=[EmailValidator()], **kwargs)


STRICT_FIELDS = {
    serializers.BooleanField: StrictBooleanField,
    serializers.CharField: StrictCharField,
    serializers.EmailField: StrictEmailField,
}


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text and boolean fields refuse values of another JSON type."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        return STRICT_FIELDS.get(field_class, field_class), kwargs
