"""The plan store: every read and write of a plan, with its rules.

Functions take a `Session` and never commit; the caller owns the transaction
(`with session_factory.begin() as session:`). A slash command, a button, a
modal and a reminder job all change plans through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.errors import ConflictError, InvalidInputError, NotFoundError, escape
from storage.models import Activity, DealRoom, Milestone, Side, Status, Task
from storage.rules import (
    clean_milestone_title,
    clean_title,
    derived_milestone_status,
    milestone_position,
)
from storage.views import MilestoneView, PlanView, RoomView, TaskView

NOT_A_ROOM = (
    "This channel is not a deal room yet. Start one with `/map init &lt;deal name&gt;`, "
    "for example `/map init Acme renewal`."
)
TASK_GONE = "That task is no longer in this plan. Type `/map status` to see the current plan."


def find_room(session: Session, team_id: str, channel_id: str) -> DealRoom | None:
    statement = select(DealRoom).where(
        DealRoom.team_id == team_id, DealRoom.channel_id == channel_id
    )
    return session.scalars(statement).one_or_none()


def require_room(session: Session, team_id: str, channel_id: str) -> DealRoom:
    room = find_room(session, team_id, channel_id)
    if room is None:
        raise NotFoundError(NOT_A_ROOM)
    return room


def create_room(
    session: Session, *, team_id: str, channel_id: str, deal_name: str, actor: str, now: datetime
) -> DealRoom:
    """Make the channel a deal room; raise ConflictError if it already is one."""
    name = clean_title(deal_name, "deal name")
    existing = find_room(session, team_id, channel_id)
    if existing is not None:
        raise ConflictError(
            f"This channel is already the deal room for *{escape(existing.deal_name)}*. "
            "Type `/map status` to see its plan."
        )
    room = DealRoom(
        team_id=team_id,
        channel_id=channel_id,
        deal_name=name,
        timezone="UTC",
        created_by=actor,
        created_at=now,
        updated_at=now,
        next_task_number=1,
    )
    session.add(room)
    session.flush()
    _record(session, room, actor, now, "room.created", after={"deal_name": name})
    return room


def load_plan(session: Session, team_id: str, channel_id: str) -> PlanView | None:
    """Read a room's whole plan in two statements, whatever its size."""
    room = find_room(session, team_id, channel_id)
    if room is None:
        return None
    return load_plan_of(session, room)


_TASK_COLUMNS = (
    Task.id,
    Task.number,
    Task.milestone_id,
    Task.title,
    Task.description,
    Task.owner_user_id,
    Task.owner_name,
    Task.side,
    Task.due_date,
    Task.status,
    Task.completed_at,
    Task.completed_by,
    Task.version,
)


_MILESTONE_COLUMNS = (
    Milestone.id,
    Milestone.title,
    Milestone.due_date,
    Milestone.status,
    Milestone.status_manual,
)
_MILESTONE_COLUMN_COUNT = len(_MILESTONE_COLUMNS)


def load_plan_of(session: Session, room: DealRoom) -> PlanView:
    """Read the milestones and tasks of `room` in one statement (an outer join)."""
    task_labels = [column.label(f"task_{column.key}") for column in _TASK_COLUMNS]
    rows = session.execute(
        select(*_MILESTONE_COLUMNS, *task_labels)
        .select_from(Milestone)
        .outerjoin(Task, Task.milestone_id == Milestone.id)
        .where(Milestone.room_id == room.id)
        .order_by(Milestone.position, Milestone.id, Task.number)
    ).all()

    milestone_rows: dict[int, Any] = {}
    tasks_by_milestone: dict[int, list[TaskView]] = {}
    for row in rows:
        milestone_rows.setdefault(row.id, row)
        tasks = tasks_by_milestone.setdefault(row.id, [])
        if row.task_id is not None:
            # The task columns come last, in the order of TaskView's fields.
            task_values: tuple[Any, ...] = tuple(row[_MILESTONE_COLUMN_COUNT:])
            tasks.append(TaskView(*task_values))
    milestones = tuple(
        MilestoneView(
            id=row.id,
            position=index,
            title=row.title,
            due_date=row.due_date,
            status=row.status,
            status_manual=row.status_manual,
            tasks=tuple(tasks_by_milestone[row.id]),
        )
        for index, row in enumerate(milestone_rows.values(), start=1)
    )
    return PlanView(room=room_view(room), milestones=milestones)


def room_view(room: DealRoom) -> RoomView:
    return RoomView(
        id=room.id,
        team_id=room.team_id,
        channel_id=room.channel_id,
        deal_name=room.deal_name,
        timezone=room.timezone,
        updated_at=room.updated_at,
    )


def add_milestone(
    session: Session,
    room: DealRoom,
    *,
    title: str,
    due_date: date | None,
    actor: str,
    now: datetime,
) -> Milestone:
    clean = clean_milestone_title(title)
    check_title_unused(session, room, clean)
    last_position = session.scalar(
        select(func.max(Milestone.position)).where(Milestone.room_id == room.id)
    )
    room.updated_at = now
    milestone = Milestone(
        room_id=room.id,
        position=(last_position or 0) + 1,
        title=clean,
        due_date=due_date,
        status=Status.NOT_STARTED,
        status_manual=False,
        created_at=now,
    )
    session.add(milestone)
    session.flush()
    after = {"title": clean, "due_date": _iso(due_date)}
    _record(session, room, actor, now, "milestone.added", milestone_id=milestone.id, after=after)
    return milestone


def check_title_unused(
    session: Session, room: DealRoom, title: str, *, renamed: Milestone | None = None
) -> None:
    """Raise ConflictError if another milestone of the room is titled `title`, ignoring case.

    `renamed` is the milestone that gets the title, which may keep its own
    title in another case.
    """
    # NOTE: there is no unique index behind this check, because rooms made
    # before it may hold duplicate titles. Two people adding the same title at
    # the same moment on PostgreSQL can both pass it.
    folded = title.casefold()
    for position, other in enumerate(_ordered_milestones(session, room), start=1):
        if other is not renamed and other.title.casefold() == folded:
            raise ConflictError(
                f"Milestone {position} is already titled “{escape(other.title)}”. Give this "
                f"milestone a title no other milestone of the plan has (case is ignored), like "
                f"“{escape(title)} 2”."
            )


def resolve_milestone(session: Session, room: DealRoom, reference: str) -> Milestone:
    """Find a milestone by its number in the plan (1-based) or its title, any case.

    A reference that begins the title of exactly one milestone names it too.
    Raises the errors of `resolve_milestone_among`.
    """
    return resolve_milestone_among(session, room, [reference])[1]


def resolve_milestone_among(
    session: Session, room: DealRoom, references: Sequence[str]
) -> tuple[int, Milestone]:
    """Find the milestone named by one of `references`, and return that reference's index too.

    The references are the readings of one text that a milestone title might
    contain, such as `Phase 1` and `Phase 1: Discovery`. A reference names a
    milestone exactly by its number (`2` or `#2`) or its whole title, in any
    case, and the longest such reference wins. Only when none does may a
    reference name the one milestone whose title it begins.

    Raises NotFoundError when no reference names a milestone, and
    InvalidInputError when the choice is not clear: a title that several
    milestones share, a beginning of several titles, or several references
    that each begin a title.
    """
    milestones = _ordered_milestones(session, room)
    normalized = [" ".join(reference.split()) for reference in references]

    exact = [(index, _named_exactly(text, milestones)) for index, text in enumerate(normalized)]
    exact = [(index, matches) for index, matches in exact if matches]
    if exact:
        index, matches = max(exact, key=lambda hit: len(normalized[hit[0]]))
        if len(matches) > 1:
            raise InvalidInputError(_shared_title_message(matches, milestones))
        return index, matches[0]

    begun = [
        (index, [m for m in milestones if m.title.casefold().startswith(text.casefold())])
        for index, text in enumerate(normalized)
        if text
    ]
    begun = [(index, matches) for index, matches in begun if matches]
    if len(begun) > 1:
        # The longest reference is the likeliest, so its title is the example.
        example = begun[-1][1][0].title
        raise InvalidInputError(_unclear_split_message([normalized[i] for i, _ in begun], example))
    if begun:
        index, matches = begun[0]
        if len(matches) == 1:
            return index, matches[0]
        raise InvalidInputError(_shared_beginning_message(normalized[index], matches, milestones))
    raise NotFoundError(_unknown_milestone_message(normalized[0], milestones))


def _ordered_milestones(session: Session, room: DealRoom) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.room_id == room.id)
            .order_by(Milestone.position, Milestone.id)
        )
    )


def _named_exactly(text: str, milestones: list[Milestone]) -> list[Milestone]:
    """Return the milestone at position `text`, or else every milestone titled `text`."""
    position = milestone_position(text)
    if position is not None and 1 <= position <= len(milestones):
        return [milestones[position - 1]]
    return [m for m in milestones if m.title.casefold() == text.casefold()]


def _numbered(matches: list[Milestone], milestones: list[Milestone]) -> str:
    return ", ".join(f"{milestones.index(m) + 1}. {escape(m.title)}" for m in matches)


def _shared_title_message(matches: list[Milestone], milestones: list[Milestone]) -> str:
    first = milestones.index(matches[0]) + 1
    return (
        f"More than one milestone is titled `{escape(matches[0].title)}`: "
        f"{_numbered(matches, milestones)}. Name the milestone by its number, like `{first}`."
    )


def _shared_beginning_message(
    reference: str, matches: list[Milestone], milestones: list[Milestone]
) -> str:
    return (
        f"`{escape(reference)}` begins more than one milestone title: "
        f"{_numbered(matches, milestones)}. Type the whole title or the milestone's number."
    )


def _unclear_split_message(references: list[str], example_title: str) -> str:
    spans = [f"`{escape(reference)}`" for reference in references]
    listed = ", ".join(spans[:-1]) + f" and {spans[-1]}"
    title = escape(example_title)
    return (
        f"It is unclear where the milestone ends, because {listed} each begin a milestone "
        f"title. Put the whole milestone title in double quotes before the `:`, like "
        f'`/map add task "{title}": Kickoff call`.'
    )


def _unknown_milestone_message(wanted: str, milestones: list[Milestone]) -> str:
    if not milestones:
        return (
            f"There is no milestone `{escape(wanted)}`: this plan has no milestones yet. "
            "Add one with `/map add milestone Security review`."
        )
    names = ", ".join(f"{index}. {escape(m.title)}" for index, m in enumerate(milestones, start=1))
    return (
        f"There is no milestone `{escape(wanted)}` in this plan. "
        f"Use a milestone's number or title: {names}."
    )


@dataclass(frozen=True)
class NewTask:
    """The fields of a task to add; the store validates them."""

    title: str
    side: Side
    owner_user_id: str | None = None
    owner_name: str | None = None
    due_date: date | None = None
    description: str | None = None


def add_task(
    session: Session,
    room: DealRoom,
    milestone: Milestone,
    new: NewTask,
    *,
    actor: str,
    now: datetime,
) -> Task:
    if milestone.room_id != room.id:
        raise NotFoundError("That milestone is no longer in this plan.")
    title = clean_title(new.title, "task title")
    owner_name = clean_title(new.owner_name, "owner name") if new.owner_name is not None else None

    number = _take_task_number(session, room)
    room.updated_at = now
    task = Task(
        room_id=room.id,
        milestone_id=milestone.id,
        number=number,
        title=title,
        description=new.description,
        owner_user_id=new.owner_user_id,
        owner_name=owner_name,
        side=new.side,
        due_date=new.due_date,
        status=Status.NOT_STARTED,
        created_at=now,
    )
    session.add(task)
    session.flush()
    _refresh_milestone_status(session, milestone)
    after = {
        "number": number,
        "title": title,
        "owner": new.owner_user_id or owner_name,
        "side": new.side.value,
        "due_date": _iso(new.due_date),
    }
    _record(session, room, actor, now, "task.added", task=task, after=after)
    return task


def _take_task_number(session: Session, room: DealRoom) -> int:
    """Reserve the room's next task number with one atomic UPDATE ... RETURNING.

    Two people adding tasks at once each get their own number: PostgreSQL
    makes the second UPDATE wait for the first, and SQLite lets one writer in
    at a time (the loser's "database is locked" is retried by the caller).
    """
    statement = (
        update(DealRoom)
        .where(DealRoom.id == room.id)
        .values(next_task_number=DealRoom.next_task_number + 1)
        .returning(DealRoom.next_task_number)
        .execution_options(synchronize_session=False)
    )
    following = session.execute(statement).scalar_one()
    set_committed_value(room, "next_task_number", following)
    return int(following) - 1


@dataclass(frozen=True)
class StatusChange:
    task: Task
    before: Status
    changed: bool


def find_task(
    session: Session, room: DealRoom, *, task_id: int | None = None, number: int | None = None
) -> Task:
    """Find a task of this room by id or number; raise NotFoundError otherwise.

    A task id from a button payload is only trusted together with the room the
    click came from, so a task of another room is "not found" here.
    """
    statement = select(Task).where(Task.room_id == room.id)
    if task_id is not None:
        statement = statement.where(Task.id == task_id)
    elif number is not None:
        statement = statement.where(Task.number == number)
    else:
        raise ValueError("find_task needs a task_id or a number")
    task = session.scalars(statement).one_or_none()
    if task is None:
        if number is not None:
            raise NotFoundError(
                f"There is no task #{number} in this plan. "
                "Type `/map status` to see the task numbers."
            )
        raise NotFoundError(TASK_GONE)
    return task


def set_task_status(
    session: Session,
    room: DealRoom,
    task: Task,
    status: Status,
    *,
    actor: str,
    now: datetime,
    expected: Status | None = None,
) -> StatusChange:
    """Move a task to `status`; a task already there is left alone and logs nothing.

    With `expected`, the status the person saw, a task that has meanwhile
    moved to a third status is left alone too, and ConflictError explains why.
    This keeps a click on an older message from reopening a completed task.
    """
    before = task.status
    if before is status:
        return StatusChange(task=task, before=before, changed=False)
    if expected is not None and before is not expected:
        raise ConflictError(
            f"*#{task.number} {escape(task.title)}* is {before.label} now, so nothing was "
            "changed. Type `/map status` to see the current plan."
        )

    task.status = status
    if status is Status.COMPLETED:
        task.completed_at = now
        task.completed_by = actor
    else:
        task.completed_at = None
        task.completed_by = None
    room.updated_at = now
    session.flush()
    _refresh_milestone_status(session, task.milestone)
    _record(
        session,
        room,
        actor,
        now,
        "task.status",
        task=task,
        before={"status": before.value},
        after={"status": status.value},
    )
    return StatusChange(task=task, before=before, changed=True)


def _refresh_milestone_status(session: Session, milestone: Milestone) -> None:
    """Recompute an automatic milestone's status from its tasks; manual ones keep theirs."""
    if milestone.status_manual:
        return
    statuses = session.scalars(select(Task.status).where(Task.milestone_id == milestone.id))
    milestone.status = derived_milestone_status(statuses)


def _record(
    session: Session,
    room: DealRoom,
    actor: str,
    now: datetime,
    action: str,
    *,
    task: Task | None = None,
    milestone_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        Activity(
            room_id=room.id,
            task_id=task.id if task is not None else None,
            milestone_id=task.milestone_id if task is not None else milestone_id,
            actor_user_id=actor,
            action=action,
            before=before,
            after=after,
            created_at=now,
        )
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
