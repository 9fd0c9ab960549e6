from datetime import UTC, datetime

import pytest

from storage.models import Side, Status
from storage.views import MilestoneView, PlanView, RoomView, TaskView


def plan_with(done: int, total: int) -> PlanView:
    tasks = tuple(
        TaskView(
            id=number,
            number=number,
            milestone_id=1,
            title=f"Task {number}",
            description=None,
            owner_user_id=None,
            owner_name="Dana",
            side=Side.BUYER,
            due_date=None,
            status=Status.COMPLETED if number <= done else Status.NOT_STARTED,
            completed_at=None,
            completed_by=None,
            version=1,
        )
        for number in range(1, total + 1)
    )
    milestone = MilestoneView(
        id=1,
        position=1,
        title="Legal",
        due_date=None,
        status=Status.IN_PROGRESS,
        status_manual=False,
        tasks=tasks,
    )
    room = RoomView(1, "T0HOME", "C0DEAL", "Acme", "UTC", datetime(2026, 12, 4, tzinfo=UTC))
    return PlanView(room=room, milestones=(milestone,))


@pytest.mark.parametrize(
    ("done", "total", "percent"),
    [(0, 0, 0), (0, 3, 0), (1, 3, 33), (2, 3, 66), (3, 3, 100), (199, 200, 99), (1, 200, 1)],
)
def test_percent_done(done, total, percent):
    assert plan_with(done, total).percent_done == percent
