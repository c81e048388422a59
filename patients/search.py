"""Patient search as a front desk types it: names without their accents, typos, phone numbers in national form,
dates of birth.

`patients_matching` reads the query one word at a time; every word must match:
- a date of birth (`1977-09-14`, `14/09/1977` or `14.09.1977`, day first) matches that date of birth;
- a phone number (the whole query or one word: digits, spaces, `+ - ( ) .`) matches the E.164 number it reads as in
  the clinic's country (`CLINIC_PHONE_REGION`: "07700 900123" -> +447700900123), or its digits within a number;
- any other word matches name, email or phone with accents and case ignored ("zoe" finds Zoë), or, when it has
  three letters or more, a word it resembles: trigram word similarity of 0.6 or more ("okafr" finds Okafor), or,
  from four letters, one edit away (two from nine letters): "Morgen" finds Morgan, "Patal" Patel, "Alise" Alice.
Results come best match first (per word the greater of its trigram similarity and 1 - edits / letters, summed),
then by name: one wrong letter still puts the person first.

On PostgreSQL the folded search text is `clinic_fold(...)`, served for LIKE and `<%` alike by one trigram index
(declared in Patient.Meta, patients migration 0007): `<%` (at clinic.text.TYPO_CANDIDATE_SIMILARITY) picks the
candidates, edits are counted on those only (clinic_edit_distance, migration 0011). SQLite computes the same with
Python functions (clinic.text).
"""

import re
from datetime import date, datetime

from django.conf import settings
from django.db.models import BooleanField, F, FloatField, Func, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from clinic.phones import phone_in_e164
from clinic.text import TYPO_CANDIDATE_SIMILARITY, WORD_SIMILARITY_THRESHOLD, fold
from patients.models import folded_search_text

_PHONE = re.compile(r"^\+?[\d\s().-]+$")
_DATE_FORMATS = {
    re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"): "%Y-%m-%d",
    re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"): "%d/%m/%Y",
    re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"): "%d.%m.%Y",
}
# Fewer digits than this are a fragment of a number, never a whole one read in national form.
_MIN_PHONE_DIGITS = 7
_MIN_TYPO_LETTERS = 3


class WordResembles(Func):
    """True when `word` may be a typo of a word of `text` (pg_trgm's `word <% text` at TYPO_CANDIDATE_SIMILARITY,
    an operator the index serves)."""

    output_field = BooleanField()
    arg_joiner = " <%% "
    template = "(%(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=f"(clinic_word_similarity(%(expressions)s) >= {TYPO_CANDIDATE_SIMILARITY})",
            arg_joiner=", ",
            **extra_context,
        )


class WordSimilarity(Func):
    """How well `word` matches the best stretch of `text`, 0 to 1 (pg_trgm's word_similarity)."""

    function = "word_similarity"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="clinic_word_similarity", **extra_context)


class EditDistance(Func):
    """The fewest single-letter edits turning `word` into a word of `text` (clinic_edit_distance, both backends)."""

    function = "clinic_edit_distance"
    output_field = IntegerField()


def _edits_allowed(folded: str) -> int:
    letters = sum(char.isalpha() for char in folded)
    return 0 if letters < 4 else 1 if letters < 9 else 2


def _closeness(folded: str):
    """How close the best word of the text is to `folded`, 0 to 1: trigram similarity or 1 - edits / length."""
    by_edits = Value(1.0) - EditDistance(Value(folded), F("folded")) * Value(1.0 / len(folded))
    return Greatest(WordSimilarity(Value(folded), F("folded")), by_edits, output_field=FloatField())


def date_of_birth_in(word: str) -> date | None:
    """The date a word spells in one of the accepted forms, or None (also for 31/02/1990)."""
    for pattern, form in _DATE_FORMATS.items():
        if pattern.match(word):
            try:
                return datetime.strptime(word, form).date()
            except ValueError:
                return None
    return None


def _phone_condition(text: str) -> Q | None:
    """Q for a phone number typed in any common form, or None when `text` does not look like one."""
    if not _PHONE.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not digits:
        return None
    condition = Q(folded__contains=digits)
    if len(digits) >= _MIN_PHONE_DIGITS:
        number = phone_in_e164(text, settings.CLINIC_PHONE_REGION or None)
        if number:
            condition |= Q(phone=number)
    return condition


def _word_condition(word: str) -> tuple[Q, str | None]:
    """The condition one word sets, and its folded form when it takes part in ranking by similarity."""
    born = date_of_birth_in(word)
    if born is not None:
        return Q(date_of_birth=born), None
    phone = _phone_condition(word)
    if phone is not None:
        return phone, None
    folded = fold(word)
    condition = Q(folded__contains=folded)
    if sum(char.isalpha() for char in folded) >= _MIN_TYPO_LETTERS:
        close = Q(GreaterThanOrEqual(WordSimilarity(Value(folded), F("folded")), WORD_SIMILARITY_THRESHOLD))
        if _edits_allowed(folded):
            close |= Q(LessThanOrEqual(EditDistance(Value(folded), F("folded")), _edits_allowed(folded)))
        condition |= Q(WordResembles(Value(folded), F("folded"))) & close
        return condition, folded
    return condition, None


def patients_matching(queryset: QuerySet, query: str) -> QuerySet:
    """The patients of `queryset` that every word of `query` matches (see the module), best match first."""
    queryset = queryset.alias(folded=folded_search_text())
    whole_phone = _phone_condition(query.strip()) if len(re.sub(r"\D", "", query)) >= _MIN_PHONE_DIGITS else None
    if whole_phone is not None and date_of_birth_in(query.strip()) is None:
        return queryset.filter(whole_phone)
    ranked = []
    for word in query.split():
        condition, folded = _word_condition(word)
        queryset = queryset.filter(condition)
        if folded is not None:
            ranked.append(_closeness(folded))
    if not ranked:
        return queryset
    score = ranked[0]
    for term in ranked[1:]:
        score = score + term
    return queryset.alias(score=score).order_by("-score", "last_name", "first_name", "id")
