"""The one table-driven status check: every status change in the clinic goes through `transition_check` (one
row) or `status_bulk_update` (many rows at once). The tables live in each app's `choices.py`."""

from collections.abc import Callable, Mapping

from clinic.exceptions import InvalidTransition


def transition_check(
    table: Mapping[str, set[str]],
    *,
    current: str,
    new: str,
    what: str,
    label: Callable[[str], str] = str,
) -> None:
    """Raise InvalidTransition (409) unless `table[current]` allows `new`.

    `what` names the thing in the sentence ("plan", "session", "appointment"); `label` turns a status into the
    words a person reads (e.g. a TextChoices label).
    """
    if new not in table.get(current, set()):
        raise InvalidTransition(
            f"A {what} that is {label(current)} cannot be marked {label(new)}.",
            current=current,
            requested=new,
        )


def status_bulk_update(queryset, *, table: Mapping[str, set[str]], new: str, **fields) -> int:
    """Set `new` (and `fields`) on the rows of `queryset` whose status `table` lets move to `new`, in one UPDATE;
    returns how many changed.

    Guarantees: a bulk write never makes a change the table refuses: a row in any other status (one a concurrent
    writer has just moved on, say) is left as it is, so a finished row is never reopened.
    """
    allowed = [current for current, following in table.items() if new in following]
    return queryset.filter(status__in=allowed).update(status=new, **fields)
