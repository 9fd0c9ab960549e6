"""Nudge messages rendered at send time, and what is left out by then."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from bot import ids
from bot.playground.standin import SlackStandIn
from bot.playground.standin_limits import blocks_text_length, check_message
from reminders.compose import compose
from reminders.delivery import Deliverer
from reminders.planner import PlannedMessage
from storage import plan_edits, plans, reminder_settings
from storage.models import DealRoom, NudgeDelivery, Status, Task
from storage.outbox import OutboxStatus
from tests.conftest import FakeClock
from tests.reminders.delivery_support import FakeSleep, client_for, standin_clock
from tests.reminders.planning_support import (
    BUYER,
    CHANNEL,
    CREATED,
    SELLER,
    add_task,
    make_room,
    outbox_rows,
    sweep,
)

FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)
# Friday 09:00 UTC: the reminder time of a room in UTC.
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def planned_row(sessions) -> PlannedMessage:
    """Plan the nudges due at NOW and return the only message planned."""
    report = sweep(sessions, NOW)
    assert len(report.messages) == 1
    return report.messages[0]


def make_tasks(sessions, *dues: date, **task) -> tuple[int, list[int]]:
    with sessions.begin() as session:
        room = make_room(session)
        created = [add_task(session, room, f"Task {n}", due, **task) for n, due in enumerate(dues)]
        return room.id, [item.id for item in created]


def change(sessions, task_id: int, work) -> None:
    with sessions.begin() as session:
        task = session.get(Task, task_id)
        room = session.get(DealRoom, task.room_id)
        work(session, room, task)


def complete(sessions, task_id: int) -> None:
    change(
        sessions,
        task_id,
        lambda session, room, task: plans.set_task_status(
            session, room, task, Status.COMPLETED, actor=SELLER, now=NOW
        ),
    )


def render(sessions, row: PlannedMessage, now: datetime = NOW):
    with sessions.begin() as session:
        return compose(session, row, now)


def section_texts(message) -> list[str]:
    return [block["text"]["text"] for block in message.blocks if block["type"] == "section"]


def test_nudge_message_blocks(sessions):
    _, (task_id,) = make_tasks(sessions, FRIDAY)
    message = render(sessions, planned_row(sessions))
    assert message is not None
    assert check_message(message.blocks, message.text) is None
    header, section, actions = message.blocks
    assert header["block_id"] == ids.BLOCK_NUDGE_HEADER
    assert "Task reminders for Deal in C0DEAL" in header["text"]["text"]
    assert section["block_id"] == f"{ids.BLOCK_NUDGE_TASK}:{task_id}"
    assert "*#1* Task 0" in section["text"]["text"]
    assert f"<@{SELLER}> (seller)" in section["text"]["text"]
    assert "due today" in section["text"]["text"]
    elements = {element["action_id"]: element for element in actions["elements"]}
    assert elements[ids.NUDGE_COMPLETE]["value"] == f"{CHANNEL}:{task_id}"
    assert elements[ids.NUDGE_IN_PROGRESS]["value"] == f"{CHANNEL}:{task_id}"
    options = elements[ids.NUDGE_SNOOZE]["options"]
    assert [option["text"]["text"] for option in options] == ["1 day", "1 week"]
    assert [option["value"] for option in options] == [
        f"{CHANNEL}:{task_id}:1",
        f"{CHANNEL}:{task_id}:7",
    ]
    assert message.text == f"Task reminders for Deal in C0DEAL: #1 Task 0 (due today, <@{SELLER}>)"


def test_buyer_contact_named_not_mentioned(sessions):
    make_tasks(sessions, FRIDAY, owner_name="Dana Whitfield")
    message = render(sessions, planned_row(sessions))
    assert message is not None
    assert "Dana Whitfield (seller)" in section_texts(message)[1]


def test_overdue_phrase_counts_working_days(sessions):
    make_tasks(sessions, date(2026, 11, 30))  # Monday: Tuesday to Friday is 4 working days
    message = render(sessions, planned_row(sessions))
    assert message is not None
    assert ":warning: *overdue by 4 working days*" in section_texts(message)[1]


def test_completed_before_delivery_sends_nothing(sessions):
    _, (task_id,) = make_tasks(sessions, FRIDAY)
    row = planned_row(sessions)
    complete(sessions, task_id)
    assert render(sessions, row) is None


def test_deleted_before_delivery_sends_nothing(sessions):
    _, (task_id,) = make_tasks(sessions, FRIDAY)
    row = planned_row(sessions)
    change(
        sessions,
        task_id,
        lambda session, room, task: plan_edits.delete_task(
            session, room, task, actor=SELLER, now=NOW
        ),
    )
    assert render(sessions, row) is None


def test_moved_later_sends_nothing_moved_earlier_sends(sessions):
    _, (later, earlier) = make_tasks(sessions, FRIDAY, MONDAY)
    row = planned_row(sessions)

    def move(task_id: int, due: date) -> None:
        with sessions.begin() as session:
            session.get(Task, task_id).due_date = due

    move(later, MONDAY)
    move(earlier, FRIDAY)
    message = render(sessions, row)
    assert message is not None
    texts = "\n".join(section_texts(message))
    assert "Task 0" not in texts
    assert "*#2* Task 1" in texts
    assert "due today" in texts


def test_snoozed_before_delivery_sends_nothing(sessions):
    _, (task_id,) = make_tasks(sessions, FRIDAY)
    row = planned_row(sessions)
    change(
        sessions,
        task_id,
        lambda session, room, task: reminder_settings.snooze_task(
            session, room, task, MONDAY, actor=SELLER, now=NOW
        ),
    )
    assert render(sessions, row) is None


def test_nudges_turned_off_before_delivery(sessions):
    room_id, _ = make_tasks(sessions, FRIDAY)
    row = planned_row(sessions)
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        reminder_settings.set_nudges_enabled(session, room, False, actor=SELLER, now=NOW)
    assert render(sessions, row) is None


def test_direct_message_dropped_when_owner_changes(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        reminder_settings.set_nudge_delivery(
            session, room, NudgeDelivery.DM, actor=SELLER, now=CREATED
        )
        task_id = add_task(session, room, "Share SOC 2 report", FRIDAY).id
    row = planned_row(sessions)
    assert row.destination == SELLER
    message = render(sessions, row)
    assert message is not None
    assert f"in <#{CHANNEL}>" in section_texts(message)[0]
    with sessions.begin() as session:
        session.get(Task, task_id).owner_user_id = BUYER
    assert render(sessions, row) is None


def test_one_of_two_completed_leaves_other(sessions):
    _, (first, second) = make_tasks(sessions, FRIDAY, FRIDAY)
    row = planned_row(sessions)
    complete(sessions, first)
    message = render(sessions, row)
    assert message is not None
    block_ids = [block.get("block_id") for block in message.blocks]
    assert f"{ids.BLOCK_NUDGE_TASK}:{second}" in block_ids
    assert f"{ids.BLOCK_NUDGE_TASK}:{first}" not in block_ids


def test_large_group_fits_slack_limits(sessions):
    make_tasks(sessions, *([FRIDAY] * 80))
    message = render(sessions, planned_row(sessions))
    assert message is not None
    assert len(message.blocks) <= 50
    assert blocks_text_length(message.blocks) <= 12_000
    assert check_message(message.blocks, message.text) is None
    footer = message.blocks[-1]["elements"][0]["text"]
    assert footer.startswith("…and 56 more tasks due or overdue.")


def test_unknown_kind_raises(sessions):
    room_id, _ = make_tasks(sessions, FRIDAY)
    with pytest.raises(ValueError, match="unknown outbox message kind"):
        render(sessions, PlannedMessage("x", room_id, CHANNEL, "poll", {}))


@pytest.fixture
def slack(clock) -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=standin_clock(clock)) as standin:
        standin.add_channel(CHANNEL, "deal-acme")
        yield standin


def deliver(sessions, slack: SlackStandIn):
    clock = FakeClock(NOW)
    deliverer = Deliverer(sessions, client_for(slack), compose, clock, sleep=FakeSleep(clock))
    return deliverer.deliver_due(NOW)


def test_delivery_leaves_out_completed_task(sessions, slack):
    _, (done, still_open) = make_tasks(sessions, FRIDAY, FRIDAY)
    planned_row(sessions)
    complete(sessions, done)
    assert deliver(sessions, slack).sent == 1
    posted = slack.messages(CHANNEL)
    assert len(posted) == 1
    assert f"{ids.BLOCK_NUDGE_TASK}:{still_open}" in str(posted[0]["blocks"])
    assert f"{ids.BLOCK_NUDGE_TASK}:{done}" not in str(posted[0]["blocks"])


def test_delivery_cancels_when_all_completed(sessions, slack):
    _, task_ids = make_tasks(sessions, FRIDAY, FRIDAY)
    planned_row(sessions)
    for task_id in task_ids:
        complete(sessions, task_id)
    report = deliver(sessions, slack)
    assert report.sent == 0
    assert report.cancelled == 1
    assert slack.messages(CHANNEL) == []
    assert [row.status for row in outbox_rows(sessions)] == [OutboxStatus.CANCELLED]
