"""Read-only snapshots of a plan, built in a fixed number of queries.

Renderers and reminder rules work on these frozen values instead of ORM
objects, so nothing lazy-loads after the session is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.models import Side, Status


def percent_of(done: int, total: int) -> int:
    """Return `done` of `total` in whole percent, rounded down; 0 when total is 0.

    Rounding down keeps 100% for when every task is done, and any task done
    shows at least 1%, so 199 of 200 reads 99% and 1 of 200 reads 1%.
    """
    if total == 0 or done == 0:
        return 0
    return max(100 * done // total, 1)


@dataclass(frozen=True)
class TaskView:
    id: int
    number: int
    milestone_id: int
    title: str
    description: str | None
    owner_user_id: str | None
    owner_name: str | None
    side: Side
    due_date: date | None
    status: Status
    completed_at: datetime | None
    completed_by: str | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.status is not Status.COMPLETED

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today


@dataclass(frozen=True)
class MilestoneView:
    id: int
    position: int
    title: str
    due_date: date | None
    status: Status
    status_manual: bool
    tasks: tuple[TaskView, ...]

    @property
    def done_count(self) -> int:
        return sum(1 for task in self.tasks if task.status is Status.COMPLETED)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.COMPLETED


@dataclass(frozen=True)
class RoomView:
    id: int
    team_id: str
    channel_id: str
    deal_name: str
    timezone: str
    updated_at: datetime


@dataclass(frozen=True)
class PlanView:
    room: RoomView
    milestones: tuple[MilestoneView, ...]

    @property
    def task_count(self) -> int:
        return sum(len(milestone.tasks) for milestone in self.milestones)

    @property
    def done_count(self) -> int:
        return sum(milestone.done_count for milestone in self.milestones)

    @property
    def percent_done(self) -> int:
        return percent_of(self.done_count, self.task_count)

    def find_task(self, task_id: int) -> TaskView | None:
        for milestone in self.milestones:
            for task in milestone.tasks:
                if task.id == task_id:
                    return task
        return None
