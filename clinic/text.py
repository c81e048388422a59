"""Text as a search compares it: without accents, in lower case, the same in Python, SQLite and PostgreSQL.

PostgreSQL folds with its `unaccent` extension wrapped in the immutable SQL function `clinic_fold` (patients
migration 0007), so an index can hold the folded text; SQLite gets `clinic_fold` and `clinic_word_similarity`
as Python functions registered on every new connection (clinic.apps). `fold` mirrors unaccent's rules for the
letters a clinic's patients' names carry: combining marks dropped, and the letters that do not decompose
(ø, ł, æ, ß...) spelled as unaccent spells them.
"""

import unicodedata

from django.db.models import CharField, Func

# Letters NFKD leaves whole, spelled as PostgreSQL's unaccent.rules spells them.
_SPELLED = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ħ": "h",
        "Ħ": "H",
        "ı": "i",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "þ": "th",
        "Þ": "TH",
    }
)

# A word at least this similar to a word of the text resembles it (pg_trgm's default cut-off for `<%`).
WORD_SIMILARITY_THRESHOLD = 0.6
# The `<%` operator's cut-off on every connection (pg_trgm.word_similarity_threshold; the same on SQLite): low
# enough that a name one letter off ("jone" for Jane: 0.25) is a candidate the trigram index still finds; the
# search then keeps the candidates within an edit or WORD_SIMILARITY_THRESHOLD of the word.
TYPO_CANDIDATE_SIMILARITY = 0.2


class Folded(Func):
    """Text without accents, in lower case (`fold`), computed by the database: clinic_fold on either backend."""

    function = "clinic_fold"
    output_field = CharField()


def fold(text: str | None) -> str | None:
    """`text` without accents, in lower case ("Zoë Ørsted" -> "zoe orsted"); None stays None (SQL NULL)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def _trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[index : index + 3] for index in range(len(padded) - 2)}


def word_similarity(word: str | None, text: str | None) -> float:
    """How well `word` matches the best word of `text`, 0 to 1, by shared trigrams (a close cousin of pg_trgm's
    word_similarity, which SQLite lacks): the share of the word's trigrams found in one word of the text."""
    if not word or not text:
        return 0.0
    wanted = _trigrams(word)
    return max((len(wanted & _trigrams(token)) / len(wanted) for token in text.split()), default=0.0)


def _levenshtein(a: str, b: str) -> int:
    """Insertions, deletions and substitutions turning `a` into `b` (fuzzystrmatch's levenshtein)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def edit_distance(word: str | None, text: str | None) -> int | None:
    """The fewest single-letter edits turning `word` into one word of `text` ("patal" -> "patel": 1); the SQL
    function clinic_edit_distance on either backend (PostgreSQL: fuzzystrmatch's levenshtein, patients migration)."""
    if word is None or text is None:
        return None
    return min((_levenshtein(word, token) for token in text.split()), default=None)


def prepare_connection(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite connections learn clinic_fold, clinic_word_similarity and
    clinic_edit_distance; PostgreSQL ones take the typo search's `<%` cut-off (TYPO_CANDIDATE_SIMILARITY)."""
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(TYPO_CANDIDATE_SIMILARITY)]
            )
        return
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("clinic_fold", 1, fold, deterministic=True)
    connection.connection.create_function("clinic_word_similarity", 2, word_similarity, deterministic=True)
    connection.connection.create_function("clinic_edit_distance", 2, edit_distance, deterministic=True)
