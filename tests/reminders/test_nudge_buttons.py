"""Nudge buttons end to end: signed block_actions requests to the real HTTP server.

The bot runs behind waitress with the Slack stand-in on loopback. Nudges are
planned and delivered by the reminder worker, then people click them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import ids
from bot.listeners.nudges import NOT_YOUR_TASK
from bot.playground.local import DEAL_CHANNEL, LocalBot
from reminders.compose import compose
from reminders.delivery import Deliverer
from reminders.scheduler import ReminderWorker
from storage import plans
from storage.models import Status, Task
from tests.conftest import FakeClock
from tests.reminders.delivery_support import FakeSleep

SELLER = "U0SELLER"
BUYER = "U0BUYER"
SELLER_DM = "D0SELLER"
MONDAY = date(2026, 12, 7)


@pytest.fixture
def local_bot(tmp_path: Path, clock: FakeClock) -> Iterator[LocalBot]:
    with LocalBot(
        f"sqlite:///{tmp_path / 'nudges.db'}", clock=clock, live_plan_thread=False
    ) as bot:
        yield bot


@pytest.fixture
def driver(local_bot):
    return local_bot.driver()


def run_worker(bot: LocalBot, clock: FakeClock) -> None:
    """Plan and deliver what is due at the clock's time, with the bot's database and client."""
    assert bot.runtime is not None
    sessions = bot.runtime.services.sessions
    deliverer = Deliverer(sessions, bot.runtime.client, compose, clock, sleep=FakeSleep(clock))
    ReminderWorker(sessions, bot.runtime.client, clock, deliverer=deliverer).run_once(clock())


def deliver_nudges(bot: LocalBot, clock: FakeClock) -> None:
    """Move the clock from Friday afternoon to Monday 09:00 UTC and run the worker."""
    clock.current = clock.current.replace(day=7, hour=9, minute=0)
    run_worker(bot, clock)


def start_plan(driver) -> None:
    driver.command(SELLER, "init Acme renewal")
    driver.command(SELLER, "add milestone Security review")
    driver.command(SELLER, f"add task Security review: Share SOC 2 report <@{SELLER}> due monday")
    driver.command(SELLER, "add task 1: Send redlines owner Dana Whitfield due monday")


def task(bot: LocalBot, number: int) -> Task:
    assert bot.runtime is not None
    with bot.runtime.services.sessions.begin() as session:
        return session.scalars(select(Task).where(Task.number == number)).one()


def nudge_messages(bot: LocalBot, channel: str = DEAL_CHANNEL) -> list[dict]:
    return [m for m in bot.standin.messages(channel) if m["text"].startswith("Task reminders")]


def task_block(message: dict, task_id: int) -> str:
    [block] = [
        b for b in message["blocks"] if b.get("block_id") == f"{ids.BLOCK_NUDGE_TASK}:{task_id}"
    ]
    return block["text"]["text"]


def has_actions(message: dict, task_id: int) -> bool:
    wanted = f"{ids.BLOCK_NUDGE_ACTIONS}:{task_id}"
    return any(block.get("block_id") == wanted for block in message["blocks"])


def test_nudge_delivered_grouped_with_buttons(local_bot, driver, clock):
    start_plan(driver)
    deliver_nudges(local_bot, clock)
    [message] = nudge_messages(local_bot)
    first, second = task(local_bot, 1), task(local_bot, 2)
    assert f"<@{SELLER}> (seller)" in task_block(message, first.id)
    assert "due today" in task_block(message, first.id)
    assert "Dana Whitfield (buyer)" in task_block(message, second.id)
    assert has_actions(message, first.id)
    assert has_actions(message, second.id)


def test_complete_updates_nudge_and_live_plan(local_bot, driver, clock):
    start_plan(driver)
    driver.command(SELLER, "status")
    deliver_nudges(local_bot, clock)
    [message] = nudge_messages(local_bot)
    first = task(local_bot, 1)

    driver.click(BUYER, message["ts"], ids.NUDGE_COMPLETE, value=f"{DEAL_CHANNEL}:{first.id}")

    assert task(local_bot, 1).status is Status.COMPLETED
    [updated] = nudge_messages(local_bot)
    assert updated["ts"] == message["ts"]
    assert f"Completed by <@{BUYER}>" in task_block(updated, first.id)
    assert not has_actions(updated, first.id)
    assert has_actions(updated, task(local_bot, 2).id)
    assert local_bot.runtime is not None
    assert local_bot.runtime.live_plan.flush_now() == 1
    plan = [m for m in local_bot.standin.messages(DEAL_CHANNEL) if m["text"].startswith("Mutual")]
    assert "1/2 tasks" in plan[-1]["text"]


def test_in_progress_button(local_bot, driver, clock):
    start_plan(driver)
    deliver_nudges(local_bot, clock)
    [message] = nudge_messages(local_bot)
    first = task(local_bot, 1)

    driver.click(SELLER, message["ts"], ids.NUDGE_IN_PROGRESS, value=f"{DEAL_CHANNEL}:{first.id}")

    assert task(local_bot, 1).status is Status.IN_PROGRESS
    [updated] = nudge_messages(local_bot)
    assert ":large_blue_circle: In progress" in task_block(updated, first.id)
    actions = [
        b for b in updated["blocks"] if b.get("block_id") == f"{ids.BLOCK_NUDGE_ACTIONS}:{first.id}"
    ]
    action_ids = [element["action_id"] for element in actions[0]["elements"]]
    assert action_ids == [ids.NUDGE_COMPLETE, ids.NUDGE_SNOOZE]


def test_snooze_week_silences_nudges(local_bot, driver, clock):
    start_plan(driver)
    deliver_nudges(local_bot, clock)
    [message] = nudge_messages(local_bot)
    first = task(local_bot, 1)

    driver.click(SELLER, message["ts"], ids.NUDGE_SNOOZE, value=f"{DEAL_CHANNEL}:{first.id}:7")

    assert task(local_bot, 1).snoozed_until == date(2026, 12, 14)
    [updated] = nudge_messages(local_bot)
    assert ":zzz: snoozed until Mon Dec 14" in task_block(updated, first.id)

    # Tuesday: the snoozed task is not nudged, the other one is (1 working day overdue).
    clock.advance(days=1)
    run_worker(local_bot, clock)
    latest = nudge_messages(local_bot)[-1]
    assert latest["ts"] != message["ts"]
    assert f"{ids.BLOCK_NUDGE_TASK}:{first.id}" not in json.dumps(latest["blocks"])
    assert "overdue by 1 working day" in task_block(latest, task(local_bot, 2).id)


def test_direct_message_click_owner_only(local_bot, driver, clock):
    start_plan(driver)
    driver.command(SELLER, "settings nudges dm")
    deliver_nudges(local_bot, clock)
    [direct] = nudge_messages(local_bot, SELLER_DM)
    first = task(local_bot, 1)
    assert f"in <#{DEAL_CHANNEL}>" in json.dumps(direct["blocks"])
    # The buyer contact is not in Slack, so that task's nudge stays in the channel.
    [in_channel] = nudge_messages(local_bot)
    assert "Dana Whitfield" in json.dumps(in_channel["blocks"])

    value = f"{DEAL_CHANNEL}:{first.id}"
    driver.click(BUYER, direct["ts"], ids.NUDGE_COMPLETE, value=value, channel_id=SELLER_DM)
    assert task(local_bot, 1).status is Status.NOT_STARTED
    assert local_bot.standin.ephemerals(SELLER_DM, BUYER)[-1]["text"] == NOT_YOUR_TASK

    driver.click(SELLER, direct["ts"], ids.NUDGE_COMPLETE, value=value, channel_id=SELLER_DM)
    assert task(local_bot, 1).status is Status.COMPLETED
    [updated] = nudge_messages(local_bot, SELLER_DM)
    assert f"Completed by <@{SELLER}>" in task_block(updated, first.id)


def test_forged_task_of_other_room_rejected(local_bot, driver, clock):
    start_plan(driver)
    local_bot.standin.add_channel("C0OTHER", "deal-globex")
    driver.command(SELLER, "init Globex", channel_id="C0OTHER")
    driver.command(SELLER, "add milestone Legal", channel_id="C0OTHER")
    driver.command(SELLER, "add task Legal: Sign NDA due monday", channel_id="C0OTHER")
    assert local_bot.runtime is not None
    with local_bot.runtime.services.sessions.begin() as session:
        room = plans.require_room(session, "T0HOME", "C0OTHER")
        other = plans.find_task(session, room, number=1)
        other_id = other.id
    forged = [
        {
            "type": "actions",
            "block_id": f"{ids.BLOCK_NUDGE_ACTIONS}:{other_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.NUDGE_COMPLETE,
                    "text": {"type": "plain_text", "text": "Complete"},
                    "value": f"C0OTHER:{other_id}",
                }
            ],
        }
    ]
    ts = local_bot.standin.post_as_bot(DEAL_CHANNEL, "Task reminders (forged)", forged)

    driver.click(SELLER, ts, ids.NUDGE_COMPLETE, value=f"C0OTHER:{other_id}")

    with local_bot.runtime.services.sessions.begin() as session:
        assert session.get(Task, other_id).status is Status.NOT_STARTED
    assert (
        "no longer in this plan" in local_bot.standin.ephemerals(DEAL_CHANNEL, SELLER)[-1]["text"]
    )


def test_failed_redraw_still_saves_click(local_bot, driver, clock):
    start_plan(driver)
    deliver_nudges(local_bot, clock)
    [message] = nudge_messages(local_bot)
    first = task(local_bot, 1)
    local_bot.standin.fail_next("chat.update", status=500)

    driver.click(BUYER, message["ts"], ids.NUDGE_COMPLETE, value=f"{DEAL_CHANNEL}:{first.id}")

    assert task(local_bot, 1).status is Status.COMPLETED
    replies = [m["text"] for m in local_bot.standin.ephemerals(DEAL_CHANNEL, BUYER)]
    assert replies
    assert replies[-1].startswith("Done: the change is saved")
    assert "Sorry" not in replies[-1]


def test_in_progress_never_reopens_completed(local_bot, driver, clock):
    start_plan(driver)
    deliver_nudges(local_bot, clock)
    [message] = nudge_messages(local_bot)
    first = task(local_bot, 1)
    driver.command(SELLER, "done #1")

    driver.click(BUYER, message["ts"], ids.NUDGE_IN_PROGRESS, value=f"{DEAL_CHANNEL}:{first.id}")

    assert task(local_bot, 1).status is Status.COMPLETED
    replies = [m["text"] for m in local_bot.standin.ephemerals(DEAL_CHANNEL, BUYER)]
    assert "is Completed now, so nothing was changed" in replies[-1]
