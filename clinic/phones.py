"""Phone numbers as a person types them, read in the clinic's country."""

from functools import cache
from pathlib import Path

import phonenumbers

# zone.tab maps each IANA zone to the country it lies in; the tzdata package ships it, as do most systems.
_ZONE_TABLES = ("tzdata/zoneinfo/zone.tab", "/usr/share/zoneinfo/zone.tab")


@cache
def region_of_time_zone(time_zone: str) -> str | None:
    """The ISO 3166 country of an IANA time zone ("Europe/London" -> "GB"), or None when no table names it."""
    for table in _ZONE_TABLES:
        path = Path(table)
        if not path.is_absolute():
            try:
                import tzdata

                path = Path(tzdata.__file__).parent.parent / table
            except ImportError:
                continue
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if not line.startswith("#") and len(fields) >= 3 and fields[2] == time_zone:
                return fields[0]
    return None


def phone_in_e164(text: str, region: str | None) -> str | None:
    """`text` as an E.164 number when it reads as a possible phone number, national forms in `region`'s country
    ("07700 900123" in GB -> "+447700900123"); None when it does not."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def whole_phone_in_e164(text: str, region: str | None) -> str | None:
    """`text` as an E.164 number when it is a whole number someone can be called on: valid, or of a mobile's or a
    landline's full length in its country (Ofcom's drama range "07700 900123" is not valid yet must be taken);
    None for a fragment such as "0770 0900"."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    whole = phonenumbers.is_valid_number(number) or any(
        phonenumbers.is_possible_number_for_type_with_reason(number, kind) == phonenumbers.ValidationResult.IS_POSSIBLE
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if whole else None


def known_region(region: str) -> bool:
    """Whether phonenumbers knows the numbering plan of this ISO 3166 country code."""
    return region in phonenumbers.SUPPORTED_REGIONS
