"""Serializer fields and bases that accept only what the schema documents: the JSON type it names (DRF's are
lenient: 0 for false, 5 for "5", 3.5 for the id 3), dates a person could mean, times with their offset, and no
field the serializer does not know (DRF drops those silently)."""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.validators import EmailValidator
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.phones import whole_phone_in_e164

# Dates and times a person could mean: anything outside is a typo (0001, 9999) that would overflow date arithmetic.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
BOUNDS_MESSAGE = f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}."
# The largest id a 64-bit primary key holds.
MAX_ID = 2**63 - 1


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


class PhoneField(StrictCharField):
    """A phone number as a person types it, international or in the national form of the clinic's country
    (CLINIC_PHONE_REGION: "07700 900123" in GB), answered and stored in E.164 ("+447700900123"); empty when unknown."""

    default_error_messages = {
        "phone": "Enter a phone number such as 07700 900123 or +44 7700 900123 (digits, spaces, + - ( ) . only)."
    }
    _TYPED = re.compile(r"^\+?[\d\s().-]+$")
    _E164 = re.compile(r"^\+[1-9]\d{6,14}$")

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Read in the clinic's country when national; answered in E.164.")
        super().__init__(allow_blank=True, max_length=32, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if text == "":
            return ""
        region = settings.CLINIC_PHONE_REGION or None
        number = whole_phone_in_e164(text.strip(), region) if self._TYPED.match(text) else None
        if number is None or not self._E164.match(number):
            self.fail("phone")
        return number


def within_bounds(value: date | datetime) -> bool:
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


YEAR_PATTERN = "(19[0-9]{2}|20[0-9]{2}|2100)"


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": f"^{YEAR_PATTERN}-[0-9]{{2}}-[0-9]{{2}}$",
        "description": BOUNDS_MESSAGE,
    }
)
class BoundedDateField(serializers.DateField):
    """A date between EARLIEST_YEAR and LATEST_YEAR."""

    default_error_messages = {"out_of_bounds": BOUNDS_MESSAGE}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not within_bounds(parsed):
            self.fail("out_of_bounds")
        return parsed


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": f"^{YEAR_PATTERN}-",
        "description": f"ISO 8601 with its UTC offset. {BOUNDS_MESSAGE}",
    }
)
class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time WITH its offset (a naive one is ambiguous: whose 9 o'clock?), between EARLIEST_YEAR
    and LATEST_YEAR, answered in UTC."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2027-03-01T09:00:00+00:00.",
        "out_of_bounds": BOUNDS_MESSAGE,
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM|Z]")
        if parsed.tzinfo is None:
            self.fail("naive")
        # Checked before converting: 0001-01-01T00:00+01:00 in UTC is the year 0, which Python cannot hold.
        if not within_bounds(parsed):
            self.fail("out_of_bounds")
        return parsed.astimezone(UTC)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row named by its id: a whole number (or, in a query string, its ASCII digits), never "1" in a JSON
    body, 3.5 or true."""

    def to_internal_value(self, data):
        # A query string (a QueryDict) carries digits; a JSON body carries a number: "1" there is refused.
        from_query = isinstance(getattr(self.root, "initial_data", None), QueryDict)
        if from_query and isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


STRICT_FIELDS = {
    serializers.BooleanField: StrictBooleanField,
    serializers.CharField: StrictCharField,
    serializers.EmailField: StrictEmailField,
    serializers.DateField: BoundedDateField,
    serializers.DateTimeField: AwareDateTimeField,
}


class StrictInputMixin:
    """Refuse a write that carries a field the serializer does not accept (unknown or read-only): the client meant
    something by it, and dropping it silently would store less than they think."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in data if name not in writable)
            if unknown:
                raise serializers.ValidationError({name: ["This field is not accepted here."] for name in unknown})
        return super().to_internal_value(data)


class StrictSerializer(StrictInputMixin, serializers.Serializer):
    """The base of every input serializer: unknown fields are a 400 naming them."""


class StrictModelSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A ModelSerializer that refuses unknown fields, values of another JSON type, dates out of bounds, naive
    times and ids that are not whole numbers."""

    serializer_related_field = IdRelatedField

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        return STRICT_FIELDS.get(field_class, field_class), kwargs
