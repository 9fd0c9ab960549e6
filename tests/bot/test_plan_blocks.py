"""The plan message layout: pages within Slack's limits, page buttons and date tokens."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot import ids
from bot.blocks.plan import (
    MAX_BLOCKS,
    MAX_SELECT_OPTIONS,
    OUTDATED_NOTICE,
    lay_out_plan,
    plan_message,
)
from bot.blocks.text import slack_time
from bot.playground.standin_limits import blocks_text_length, check_message
from storage.models import Side, Status
from storage.views import MilestoneView, PlanView, RoomView, TaskView

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


def make_task(task_id: int, milestone_id: int, *, title: str = "", status=Status.NOT_STARTED):
    done = status is Status.COMPLETED
    return TaskView(
        id=task_id,
        number=task_id,
        milestone_id=milestone_id,
        title=title or f"Task {task_id}",
        description=None,
        owner_user_id="U0SELLER",
        owner_name=None,
        side=Side.SELLER,
        due_date=date(2027, 1, 15),
        status=status,
        completed_at=NOW - timedelta(hours=task_id) if done else None,
        completed_by="U0BUYER" if done else None,
        version=1,
    )


def make_plan(task_counts: list[int], *, title: str = "", task_title: str = "", done_every=0):
    """Build a plan with one milestone per count; every `done_every`-th task is completed."""
    milestones = []
    next_id = 1
    for index, count in enumerate(task_counts, start=1):
        tasks = []
        for _ in range(count):
            done = done_every and next_id % done_every == 0
            status = Status.COMPLETED if done else Status.NOT_STARTED
            tasks.append(make_task(next_id, index, title=task_title, status=status))
            next_id += 1
        milestones.append(
            MilestoneView(
                id=index,
                position=index,
                title=title or f"Milestone {index}",
                due_date=None,
                status=Status.NOT_STARTED,
                status_manual=False,
                tasks=tuple(tasks),
            )
        )
    room = RoomView(
        id=1,
        team_id="T0HOME",
        channel_id="C0DEAL",
        deal_name="Acme renewal",
        timezone="UTC",
        updated_at=NOW,
    )
    return PlanView(room=room, milestones=tuple(milestones))


def spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def action_ids(message) -> list[str]:
    return [
        element.get("action_id")
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def jump_options(message) -> list[dict]:
    for block in message.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == ids.PLAN_PAGE_MILESTONE:
                return element["options"]
    return []


def shown_task_ids(layout) -> set[int]:
    """Task ids on every page: open tasks by block id, completed ones by their number."""
    shown = set()
    for number in range(1, layout.page_count + 1):
        for block in layout.message(number).blocks:
            block_id = block.get("block_id", "")
            if block_id.startswith(f"{ids.BLOCK_TASK}:"):
                shown.add(int(block_id.split(":")[1]))
            if block_id.startswith(f"{ids.BLOCK_COMPLETED}:"):
                text = block["elements"][0]["text"]
                for task in layout.plan.milestones[int(block_id.split(":")[1]) - 1].tasks:
                    if f"#{task.number} " in text:
                        shown.add(task.id)
    return shown


def test_small_plan_is_one_page():
    message = plan_message(make_plan([2, 1]), TODAY)

    assert check_message(message.blocks, message.text) is None
    assert message.text == "Mutual Action Plan for Acme renewal: 0/3 tasks, 0%"
    assert ids.PLAN_PAGE_NEXT not in action_ids(message)
    assert ids.PLAN_PAGE_MILESTONE not in action_ids(message)
    assert "Page 1" not in json.dumps(message.blocks)


def test_last_changed_uses_date_token():
    message = plan_message(make_plan([1]), TODAY)

    context = message.blocks[1]["elements"][0]["text"]
    expected = f"Last changed <!date^{int(NOW.timestamp())}^{{date_short_pretty}} at {{time}}|"
    assert expected in context
    assert context.endswith("|2026-12-04 15:00 UTC>")


def test_completed_task_shows_who_and_when():
    plan = make_plan([2], done_every=2)
    message = plan_message(plan, TODAY)

    completed = [b for b in message.blocks if b.get("block_id", "").startswith("completed:")]
    assert len(completed) == 1
    text = completed[0]["elements"][0]["text"]
    completed_at = plan.milestones[0].tasks[1].completed_at
    assert "Completed: #2 Task 2 (<@U0BUYER>, " in text
    assert slack_time(completed_at) in text


def test_slack_time_format():
    moment = datetime(2027, 3, 9, 23, 30, tzinfo=UTC)
    assert slack_time(moment) == (
        "<!date^1804635000^{date_short_pretty} at {time}|2027-03-09 23:30 UTC>"
    )


def test_slack_time_rejects_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        slack_time(datetime(2027, 3, 9, 23, 30))


def test_empty_plan_explains_next_step():
    message = plan_message(make_plan([]), TODAY)

    assert check_message(message.blocks, message.text) is None
    assert "/map add milestone" in message.blocks[2]["text"]["text"]


def test_big_plan_pages_are_valid():
    plan = make_plan(spread(400, 60), done_every=3)
    layout = lay_out_plan(plan, TODAY)

    assert layout.page_count > 1
    for number in range(1, layout.page_count + 1):
        for outdated in (False, True):
            message = layout.message(number, outdated=outdated)
            assert check_message(message.blocks, message.text) is None, (number, outdated)
            assert len(message.blocks) <= MAX_BLOCKS


def test_big_plan_shows_every_task_once_paged():
    plan = make_plan(spread(400, 60), done_every=3)
    layout = lay_out_plan(plan, TODAY)

    all_ids = {task.id for milestone in plan.milestones for task in milestone.tasks}
    assert shown_task_ids(layout) == all_ids
    for milestone in plan.milestones:
        assert layout.page_of_milestone(milestone.id) is not None


def test_page_buttons_at_each_end():
    layout = lay_out_plan(make_plan(spread(400, 60)), TODAY)

    first = action_ids(layout.message(1))
    assert ids.PLAN_PAGE_PREVIOUS not in first
    assert ids.PLAN_PAGE_NEXT in first
    last = action_ids(layout.message(layout.page_count))
    assert ids.PLAN_PAGE_PREVIOUS in last
    assert ids.PLAN_PAGE_NEXT not in last
    middle = action_ids(layout.message(2))
    assert ids.PLAN_PAGE_PREVIOUS in middle
    assert ids.PLAN_PAGE_NEXT in middle


def test_page_buttons_name_target_page():
    layout = lay_out_plan(make_plan(spread(400, 60)), TODAY)
    message = layout.message(3)

    buttons = {
        element["action_id"]: element.get("value")
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }
    assert buttons[ids.PLAN_PAGE_PREVIOUS] == "2"
    assert buttons[ids.PLAN_PAGE_NEXT] == "4"
    assert f"Page 3 of {layout.page_count}" in message.blocks[1]["elements"][0]["text"]


def test_jump_menu_lists_every_milestone():
    plan = make_plan(spread(400, 60))
    options = jump_options(lay_out_plan(plan, TODAY).message(1))

    assert [option["value"] for option in options] == [str(m.id) for m in plan.milestones]
    assert options[0]["text"]["text"] == "1. Milestone 1"


def test_jump_menu_windows_past_limit():
    plan = make_plan([3] * 150)
    layout = lay_out_plan(plan, TODAY)

    for number in (1, layout.page_count // 2, layout.page_count):
        message = layout.message(number)
        values = [int(option["value"]) for option in jump_options(message)]
        assert len(values) == MAX_SELECT_OPTIONS
        assert layout.pages[number - 1].keys[0] in values
        assert check_message(message.blocks, message.text) is None


def test_long_milestone_continues_on_next_page():
    layout = lay_out_plan(make_plan([60]), TODAY)

    assert layout.page_count == 3
    second = json.dumps(layout.message(2).blocks)
    assert "*1. Milestone 1* (continued)" in second
    assert layout.page_of_milestone(1) == 1


def test_many_completed_tasks_split_into_chunks():
    plan = make_plan([300], task_title="Signed order form " * 4, done_every=1)
    layout = lay_out_plan(plan, TODAY)

    assert shown_task_ids(layout) == {task.id for task in plan.milestones[0].tasks}
    for number in range(1, layout.page_count + 1):
        message = layout.message(number)
        assert check_message(message.blocks, message.text) is None


def test_long_titles_cut_with_ellipsis():
    plan = make_plan([1], title="M" * 200, task_title="T" * 200)
    message = plan_message(plan, TODAY)

    header = message.blocks[0]["text"]["text"]
    milestone = message.blocks[2]["text"]["text"]
    task = message.blocks[3]["text"]["text"]
    assert len(header) <= 150
    assert "M" * 149 + "…" in milestone
    assert "M" * 150 not in milestone
    assert "T" * 149 + "…" in task
    assert "T" * 150 not in task


def test_escaped_titles_stay_within_limits():
    plan = make_plan(spread(400, 60), title="R&D <legal> " * 16, task_title="A&B<>" * 40)
    layout = lay_out_plan(plan, TODAY)

    for number in range(1, layout.page_count + 1):
        message = layout.message(number)
        assert check_message(message.blocks, message.text) is None, number
        assert blocks_text_length(message.blocks) <= 11_500


def test_page_out_of_range_shows_nearest():
    layout = lay_out_plan(make_plan(spread(400, 60)), TODAY)

    assert layout.clamp(0) == 1
    assert layout.clamp(layout.page_count + 5) == layout.page_count
    assert layout.message(99).blocks == layout.message(layout.page_count).blocks


def test_outdated_message_keeps_task_buttons():
    layout = lay_out_plan(make_plan(spread(400, 60)), TODAY)
    message = layout.message(1, outdated=True)

    assert message.blocks[2]["block_id"] == ids.BLOCK_PLAN_OUTDATED
    assert message.blocks[2]["elements"][0]["text"] == OUTDATED_NOTICE
    assert ids.TASK_COMPLETE in action_ids(message)
    assert ids.PLAN_PAGE_NEXT not in action_ids(message)
    assert ids.PLAN_PAGE_MILESTONE not in action_ids(message)


def test_plan_that_grows_stays_valid():
    for total in (3, 20, 40, 80, 160, 400):
        layout = lay_out_plan(make_plan(spread(total, 6)), TODAY)
        for number in range(1, layout.page_count + 1):
            message = layout.message(number)
            assert check_message(message.blocks, message.text) is None, (total, number)


@pytest.mark.parametrize("done_every", [0, 3])
def test_measured_lengths_match_blocks(done_every):
    """Pages are cut by lengths measured without building blocks; they must be exact."""
    from bot.blocks.paging import text_length

    plan = make_plan(spread(400, 60), done_every=done_every)
    plan = PlanView(
        room=plan.room,
        milestones=tuple(
            MilestoneView(
                id=m.id,
                position=m.position,
                title=m.title,
                due_date=date(2026, 11, 1),
                status=Status.IN_PROGRESS,
                status_manual=m.position % 2 == 0,
                tasks=m.tasks,
            )
            for m in plan.milestones
        ),
    )
    layout = lay_out_plan(plan, TODAY)
    for page in layout.pages:
        measured = sum(unit.length for unit in page.units)
        assert measured == text_length(page.blocks())
        assert sum(unit.block_count for unit in page.units) == len(page.blocks())


def test_outdated_page_has_no_page_line():
    layout = lay_out_plan(make_plan(spread(400, 60)), TODAY)
    assert layout.page_count > 1
    live = json.dumps(layout.message(1).blocks)
    outdated = json.dumps(layout.message(1, outdated=True).blocks)
    assert "Page 1 of" in live
    assert "Page 1 of" not in outdated
    assert OUTDATED_NOTICE.split(".")[0] in outdated
