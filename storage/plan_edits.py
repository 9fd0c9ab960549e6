"""Edits to an existing plan: change, move and delete tasks and milestones.

This is the editing half of the plan store; `storage.plans` reads plans and
adds to them. The contract is the same: functions take a `Session` and never
commit. Each change writes an activity row (who, what, before, after) and
bumps `room.updated_at`. A request that would change nothing writes nothing
and returns False, so a click on an outdated message is harmless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage import plans
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.models import DealRoom, Milestone, Side, Status, Task
from storage.rules import clean_milestone_title, clean_title
from storage.views import MilestoneView, TaskView

MILESTONE_GONE = (
    "That milestone is no longer in this plan. Type `/map status` to see the current plan."
)
DESCRIPTION_MAX = 3000


class Direction(StrEnum):
    """The direction in which `move_milestone` moves a milestone in the plan."""

    UP = "up"
    DOWN = "down"


class StaleEditError(ConflictError):
    """An edit based on an older version of a task. `current` is the task as it is now."""

    def __init__(self, current: TaskView, milestone_title: str) -> None:
        owner = f"<@{current.owner_user_id}>"
        super().__init__(stale_edit_message(current, owner, milestone_title))
        self.current = current
        self.milestone_title = milestone_title


def stale_edit_message(current: TaskView, owner: str, milestone_title: str = "") -> str:
    """Describe the current values of a task that someone else changed, naming its owner `owner`.

    The owner is passed in because a modal field error is plain text, where a
    `<@U…>` mention does not render, while an ephemeral message can use one.
    """
    if current.owner_user_id is None:
        owner = current.owner_name or "no one"
    title = current.title if len(current.title) <= 80 else current.title[:79] + "…"
    due = f"due {current.due_date.isoformat()}" if current.due_date else "with no due date"
    # Status and milestone are listed too: the form does not show the status,
    # and a move is easy to miss among unchanged fields.
    where = f" in “{milestone_title}”" if milestone_title else ""
    return (
        f"Someone changed #{current.number} while you were editing: it is now "
        f"{current.status.label}{where}, titled “{title}”, owned by {owner} "
        f"({current.side.value}), {due}. Close this and try again."
    )


class StaleMilestoneError(ConflictError):
    """An edit based on milestone values that changed since. `current` is the milestone now."""

    def __init__(self, current: MilestoneView) -> None:
        super().__init__(stale_milestone_message(current))
        self.current = current


def stale_milestone_message(current: MilestoneView) -> str:
    """Describe the current values of a milestone that someone else changed, as plain text."""
    title = current.title if len(current.title) <= 80 else current.title[:79] + "…"
    due = f"due {current.due_date.isoformat()}" if current.due_date else "with no due date"
    source = "set by hand" if current.status_manual else "from its tasks"
    return (
        f"Someone changed this milestone while you were editing: it is now titled “{title}”, "
        f"{due}, with the status {current.status.label} ({source}). Close this and try again."
    )


def milestone_fields(milestone: Milestone | MilestoneView) -> dict[str, str | None]:
    """Return the fields people edit on a milestone, as JSON values that a form can carry.

    `manual_status` is the status set by hand, or None while the status follows the tasks.
    """
    return {
        "title": milestone.title,
        "due_date": plans._iso(milestone.due_date),
        "manual_status": milestone.status.value if milestone.status_manual else None,
    }


def check_milestone_unchanged(
    session: Session,
    room: DealRoom,
    milestone: Milestone,
    shown_values: Mapping[str, str | None],
) -> None:
    """Raise StaleMilestoneError unless the milestone still has the values a form showed.

    `shown_values` maps names from `milestone_fields` to the values the form
    showed, and an unknown name counts as changed. The milestone row is locked
    until the commit first, so an edit submitted at the same moment waits for
    this transaction and then reads its result.
    """
    _check_milestone(room, milestone)
    # A no-op UPDATE locks the row on both databases: PostgreSQL makes a second
    # writer wait for the commit, and SQLite lets one writer in at a time. SELECT
    # ... FOR UPDATE would lock on PostgreSQL only, because SQLite has no such clause.
    lock = update(Milestone).where(Milestone.id == milestone.id).values(title=Milestone.title)
    session.execute(lock.execution_options(synchronize_session=False))
    session.refresh(milestone)
    current = milestone_fields(milestone)
    for name, value in shown_values.items():
        if name not in current or current[name] != value:
            raise StaleMilestoneError(milestone_view(milestone))


@dataclass(frozen=True)
class TaskChanges:
    """The new value of every editable field of a task, as an edit form submits them.

    Fields equal to the current ones are left alone. `milestone_id` None keeps
    the task in its milestone.
    """

    title: str
    side: Side
    owner_user_id: str | None
    owner_name: str | None
    due_date: date | None
    description: str | None
    milestone_id: int | None = None


def find_milestone(session: Session, room: DealRoom, milestone_id: int) -> Milestone:
    """Find a milestone of this room by id, or raise NotFoundError for any other id."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.room_id != room.id:
        raise NotFoundError(MILESTONE_GONE)
    return milestone


def update_task(
    session: Session,
    room: DealRoom,
    task: Task,
    changes: TaskChanges,
    *,
    expected_version: int,
    actor: str,
    now: datetime,
    expected_fingerprint: str | None = None,
) -> bool:
    """Apply an edit made on version `expected_version` of the task; return whether it changed.

    Raises StaleEditError, writing nothing, when the task changed since that
    version. With `expected_fingerprint` (`edit_fingerprint` of the task the
    form showed), only changes to the fields the form edits count, so a
    status click while the form is open does not block the edit. Raises
    InvalidInputError for a bad title, description or owner, and
    NotFoundError when `changes.milestone_id` is not a milestone of the room.
    """
    if task.room_id != room.id:
        raise NotFoundError(plans.TASK_GONE)
    if expected_fingerprint is not None:
        stale = edit_fingerprint(task) != expected_fingerprint
    else:
        stale = task.version != expected_version
    if stale:
        raise StaleEditError(task_view(task), task.milestone.title)
    requested = _checked_fields(changes)
    target = task.milestone
    if changes.milestone_id is not None and changes.milestone_id != task.milestone_id:
        target = find_milestone(session, room, changes.milestone_id)
        requested["milestone_id"] = target.id

    current = _task_fields(task)
    changed = {name: value for name, value in requested.items() if current.get(name) != value}
    if not changed:
        return False

    source = task.milestone
    for name, value in changed.items():
        if name != "milestone_id":
            setattr(task, name, value)
    task.milestone = target
    room.updated_at = now
    session.flush()
    _refresh_statuses(session, source, target)
    plans._record(
        session,
        room,
        actor,
        now,
        "task.edited",
        task=task,
        before={name: _json_value(current[name]) for name in changed},
        after={name: _json_value(value) for name, value in changed.items()},
    )
    return True


def move_task(
    session: Session, room: DealRoom, task: Task, milestone: Milestone, *, actor: str, now: datetime
) -> bool:
    """Move a task to another milestone of the room. Return False if it is already there."""
    if task.room_id != room.id:
        raise NotFoundError(plans.TASK_GONE)
    if milestone.room_id != room.id:
        raise NotFoundError(MILESTONE_GONE)
    source = task.milestone
    if source.id == milestone.id:
        return False

    task.milestone = milestone
    room.updated_at = now
    session.flush()
    _refresh_statuses(session, source, milestone)
    plans._record(
        session,
        room,
        actor,
        now,
        "task.moved",
        task=task,
        before={"milestone_id": source.id, "milestone": source.title},
        after={"milestone_id": milestone.id, "milestone": milestone.title},
    )
    return True


def delete_task(session: Session, room: DealRoom, task: Task, *, actor: str, now: datetime) -> None:
    """Delete a task. Its number is not given to another task, and its history stays."""
    if task.room_id != room.id:
        raise NotFoundError(plans.TASK_GONE)
    milestone = task.milestone
    before = {"number": task.number, **_json_fields(task), "status": task.status.value}
    plans._record(session, room, actor, now, "task.deleted", task=task, before=before)
    session.delete(task)
    room.updated_at = now
    session.flush()
    plans._refresh_milestone_status(session, milestone)


def rename_milestone(
    session: Session, room: DealRoom, milestone: Milestone, title: str, *, actor: str, now: datetime
) -> bool:
    """Give a milestone a new title. Return False if the title is the same.

    Raises InvalidInputError for a title that reads as a number and
    ConflictError for one that another milestone of the room has.
    """
    _check_milestone(room, milestone)
    # An unchanged title passes even if it breaks a newer rule, so that
    # milestones made before the rule can still get a new due date.
    if clean_title(title, "milestone title") == milestone.title:
        return False
    clean = clean_milestone_title(title)
    plans.check_title_unused(session, room, clean, renamed=milestone)
    before = {"title": milestone.title}
    milestone.title = clean
    _milestone_changed(session, room, milestone, actor, now, "milestone.renamed", before)
    return True


def set_milestone_due(
    session: Session,
    room: DealRoom,
    milestone: Milestone,
    due_date: date | None,
    *,
    actor: str,
    now: datetime,
) -> bool:
    """Set or clear a milestone's due date. Return False if it is already that date."""
    _check_milestone(room, milestone)
    if milestone.due_date == due_date:
        return False
    before = {"due_date": plans._iso(milestone.due_date)}
    milestone.due_date = due_date
    _milestone_changed(session, room, milestone, actor, now, "milestone.due_date", before)
    return True


def set_milestone_status(
    session: Session,
    room: DealRoom,
    milestone: Milestone,
    status: Status | None,
    *,
    actor: str,
    now: datetime,
) -> bool:
    """Set a milestone's status by hand, or with None go back to deriving it from its tasks.

    A status set by hand stays until it is set back to automatic, and never
    changes the milestone's tasks. Returns False if nothing changed.
    """
    _check_milestone(room, milestone)
    before = {"status": milestone.status.value, "manual": milestone.status_manual}
    if status is None:
        milestone.status_manual = False
        plans._refresh_milestone_status(session, milestone)
    else:
        milestone.status_manual = True
        milestone.status = status
    after = {"status": milestone.status.value, "manual": milestone.status_manual}
    if after == before:
        return False
    _milestone_changed(session, room, milestone, actor, now, "milestone.status", before, after)
    return True


def add_milestone_at(
    session: Session,
    room: DealRoom,
    *,
    title: str,
    due_date: date | None,
    position: int | None,
    actor: str,
    now: datetime,
) -> Milestone:
    """Add a milestone at `position` (1 is first), or at the end when it is None.

    The milestones from that position on move down one place. Raises
    InvalidInputError for a position outside 1 to the number of milestones + 1
    or a title that reads as a number, and ConflictError for a title that
    another milestone of the room has.
    """
    clean = clean_milestone_title(title)
    plans.check_title_unused(session, room, clean)
    ordered = _ordered_milestones(session, room)
    last = len(ordered) + 1
    if position is None:
        position = last
    check_position(position, len(ordered))

    milestone = Milestone(
        room_id=room.id,
        position=position,
        title=clean,
        due_date=due_date,
        status=Status.NOT_STARTED,
        status_manual=False,
        created_at=now,
    )
    ordered.insert(position - 1, milestone)
    session.add(milestone)
    _renumber(ordered)
    room.updated_at = now
    session.flush()
    after = {"title": clean, "due_date": plans._iso(due_date), "position": position}
    plans._record(
        session, room, actor, now, "milestone.added", milestone_id=milestone.id, after=after
    )
    return milestone


def count_milestones(session: Session, room: DealRoom) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Milestone).where(Milestone.room_id == room.id)
        )
        or 0
    )


def check_position(position: int, milestone_count: int) -> None:
    """Raise InvalidInputError unless a new milestone fits at `position` in the plan."""
    last = milestone_count + 1
    if position < 1:
        raise InvalidInputError(
            f"Position {position} is not in the plan: positions start at 1. "
            f"Use a number from 1 to {last}, or leave it empty to add at the end."
        )
    if position > last:
        noun = "milestone" if milestone_count == 1 else "milestones"
        raise InvalidInputError(
            f"Position {position} is past the end: this plan has {milestone_count} {noun}. "
            f"Use a number from 1 to {last}, or leave it empty to add at the end."
        )


def move_milestone(
    session: Session,
    room: DealRoom,
    milestone: Milestone,
    direction: Direction,
    *,
    actor: str,
    now: datetime,
) -> bool:
    """Swap a milestone with its neighbour, or return False when it is already first or last.

    Positions are renumbered 1 to n on the way, so gaps left by older data close.
    """
    _check_milestone(room, milestone)
    ordered = _ordered_milestones(session, room)
    index = ordered.index(milestone)
    other = index - 1 if direction is Direction.UP else index + 1
    if not 0 <= other < len(ordered):
        return False

    ordered[index], ordered[other] = ordered[other], ordered[index]
    before = {"position": index + 1}
    _renumber(ordered)
    _milestone_changed(session, room, milestone, actor, now, "milestone.moved", before)
    return True


def delete_milestone(
    session: Session, room: DealRoom, milestone: Milestone, *, actor: str, now: datetime
) -> int:
    """Delete a milestone and its tasks, and return how many tasks went with it.

    Task numbers are not given to new tasks, and the later milestones move up.
    """
    _check_milestone(room, milestone)
    numbers = list(
        session.scalars(
            select(Task.number).where(Task.milestone_id == milestone.id).order_by(Task.number)
        )
    )
    ordered = _ordered_milestones(session, room)
    before = {
        "title": milestone.title,
        "position": ordered.index(milestone) + 1,
        "due_date": plans._iso(milestone.due_date),
        "task_numbers": numbers,
    }
    plans._record(
        session, room, actor, now, "milestone.deleted", milestone_id=milestone.id, before=before
    )
    ordered.remove(milestone)
    # The database deletes the tasks (ON DELETE CASCADE), so they are not loaded here.
    session.delete(milestone)
    session.flush()
    _renumber(ordered)
    room.updated_at = now
    session.flush()
    return len(numbers)


def task_view(task: Task) -> TaskView:
    """Return a read-only snapshot of one task."""
    return TaskView(
        id=task.id,
        number=task.number,
        milestone_id=task.milestone_id,
        title=task.title,
        description=task.description,
        owner_user_id=task.owner_user_id,
        owner_name=task.owner_name,
        side=task.side,
        due_date=task.due_date,
        status=task.status,
        completed_at=task.completed_at,
        completed_by=task.completed_by,
        version=task.version,
    )


def milestone_view(milestone: Milestone) -> MilestoneView:
    """Return a read-only snapshot of a milestone's own fields; its tasks are left out."""
    return MilestoneView(
        id=milestone.id,
        position=milestone.position,
        title=milestone.title,
        due_date=milestone.due_date,
        status=milestone.status,
        status_manual=milestone.status_manual,
        tasks=(),
    )


def _checked_fields(changes: TaskChanges) -> dict[str, Any]:
    if changes.owner_user_id and changes.owner_name:
        raise InvalidInputError("A task has one owner: pick a Slack user or type a name, not both.")
    owner_name = changes.owner_name
    if owner_name is not None:
        owner_name = clean_title(owner_name, "owner name")
    description = (changes.description or "").strip() or None
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise InvalidInputError(
            f"The description is {len(description)} characters long, and the limit is "
            f"{DESCRIPTION_MAX}. Shorten it and try again."
        )
    return {
        "title": clean_title(changes.title, "task title"),
        "side": changes.side,
        "owner_user_id": changes.owner_user_id or None,
        "owner_name": owner_name,
        "due_date": changes.due_date,
        "description": description,
    }


class EditedFields(Protocol):
    """The fields of a task that the edit form shows: a Task row or a TaskView."""

    @property
    def title(self) -> str: ...
    @property
    def side(self) -> Side: ...
    @property
    def owner_user_id(self) -> str | None: ...
    @property
    def owner_name(self) -> str | None: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def milestone_id(self) -> int: ...


def edit_fingerprint(task: EditedFields) -> str:
    """Return a short digest of the fields the edit form shows, to detect edits by others."""
    fields = [
        task.title,
        task.side.value,
        task.owner_user_id,
        task.owner_name,
        task.due_date.isoformat() if task.due_date else None,
        task.description,
        task.milestone_id,
    ]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]


def _task_fields(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "side": task.side,
        "owner_user_id": task.owner_user_id,
        "owner_name": task.owner_name,
        "due_date": task.due_date,
        "description": task.description,
        "milestone_id": task.milestone_id,
    }


def _json_fields(task: Task) -> dict[str, Any]:
    return {name: _json_value(value) for name, value in _task_fields(task).items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _refresh_statuses(session: Session, *milestones: Milestone) -> None:
    for milestone in dict.fromkeys(milestones):
        plans._refresh_milestone_status(session, milestone)


def _check_milestone(room: DealRoom, milestone: Milestone) -> None:
    if milestone.room_id != room.id:
        raise NotFoundError(MILESTONE_GONE)


def _ordered_milestones(session: Session, room: DealRoom) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.room_id == room.id)
            .order_by(Milestone.position, Milestone.id)
        )
    )


def _renumber(ordered: list[Milestone]) -> None:
    for position, milestone in enumerate(ordered, start=1):
        if milestone.position != position:
            milestone.position = position


def _milestone_changed(
    session: Session,
    room: DealRoom,
    milestone: Milestone,
    actor: str,
    now: datetime,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any] | None = None,
) -> None:
    """Flush a milestone change and record it. `after` defaults to the new values of `before`."""
    room.updated_at = now
    session.flush()
    if after is None:
        after = {name: _json_value(getattr(milestone, name)) for name in before}
    plans._record(
        session, room, actor, now, action, milestone_id=milestone.id, before=before, after=after
    )
