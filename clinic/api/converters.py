"""The path converter for ids: digits that fit a database id, so a larger number is the API's 404, not a crash.

Django's <int:...> accepts any length of digits; SQLite cannot even bind a number past 2**63 - 1 in a lookup on a
foreign key, so /patients/99999999999999999999999/conditions/1/ was a 500 there.
"""

from django.urls.converters import IntConverter

LARGEST_ID = 2**63 - 1


class IdConverter(IntConverter):
    def to_python(self, value: str) -> int:
        number = int(value)
        if number > LARGEST_ID:
            raise ValueError("larger than any id")  # Django then tries the next pattern: the API's JSON 404
        return number
