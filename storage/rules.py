"""Plan rules shared by every way of changing a plan."""

from __future__ import annotations

from collections.abc import Iterable

from storage.errors import InvalidInputError
from storage.models import TITLE_MAX, Status


def derived_milestone_status(task_statuses: Iterable[Status]) -> Status:
    """Return the status an automatic milestone has for its tasks' statuses.

    Completed when every task is (and there is at least one task), In progress
    when any task is started or completed, otherwise Not started.
    """
    statuses = list(task_statuses)
    if statuses and all(status is Status.COMPLETED for status in statuses):
        return Status.COMPLETED
    if any(status is not Status.NOT_STARTED for status in statuses):
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def clean_title(text: str, what: str = "title") -> str:
    """Strip `text` and check it is a usable title, raising InvalidInputError if not."""
    title = " ".join(text.split())
    if not title:
        raise InvalidInputError(
            f"The {what} is empty. Type a {what} of 1 to {TITLE_MAX} characters."
        )
    if len(title) > TITLE_MAX:
        raise InvalidInputError(
            f"The {what} is {len(title)} characters long, and the limit is {TITLE_MAX}. "
            f"Shorten it and try again."
        )
    return title


def milestone_position(reference: str) -> int | None:
    """Return the milestone position that `reference` names (`2` or `#2`), or None for a title."""
    digits = reference.removeprefix("#")
    return int(digits) if digits.isdecimal() else None


def clean_milestone_title(text: str) -> str:
    """Clean a milestone title like `clean_title`, rejecting one that reads as a number.

    Commands name a milestone by its position (`/map add task 2: …`), so a
    title such as `2` or `#2` could never be named by its title.
    """
    title = clean_title(text, "milestone title")
    position = milestone_position(title)
    if position is not None:
        raise InvalidInputError(
            f"“{title}” can't be a milestone title, because a number names the milestone at "
            f"that position, as in `/map add task 2: Kickoff call`. Add a word, like "
            f"“Phase {position}”."
        )
    return title
