"""The one table-driven status check: every status change in the clinic goes through `transition_check`."""

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
