"""The live plan message through the real server: updates, coalescing, reposts and paging.

The live plan thread is off in these tests. `flush_due()` sends what is due at
the fake clock's time, and `send_plan_updates()` sends everything pending.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.blocks.plan import OUTDATED_NOTICE
from bot.playground.standin_limits import check_message
from storage import live_messages, plans
from storage.models import Milestone, Side, Status, Task
from tests.e2e.conftest import (
    BUYER,
    SELLER,
    plan_messages,
    sample_plan,
    send_plan_updates,
    start_room,
)

CHANNEL = "C0DEAL"


def live_plan(bot):
    return bot.runtime.live_plan


def live_state(bot):
    with bot.runtime.services.sessions.begin() as session:
        return live_messages.find_live_message(session, "T0HOME", CHANNEL)


def task_id(bot, number: int) -> int:
    with bot.runtime.services.sessions.begin() as session:
        return session.scalars(select(Task.id).where(Task.number == number)).one()


def task_status(bot, number: int) -> Status:
    with bot.runtime.services.sessions.begin() as session:
        return session.scalars(select(Task.status).where(Task.number == number)).one()


def blocks_text(message: dict) -> str:
    return json.dumps(message["blocks"])


def current(bot, ts: str) -> dict:
    message = bot.standin.message(CHANNEL, ts)
    assert message is not None, f"message {ts} is gone"
    return message


def post_status(bot, driver) -> str:
    driver.command(SELLER, "status")
    return plan_messages(bot)[-1]["ts"]


def updates(bot) -> list[dict]:
    return bot.standin.calls_to("chat.update")


def ten_task_plan(driver) -> None:
    start_room(driver)
    driver.command(SELLER, "add milestone Security review")
    for number in range(1, 11):
        driver.command(SELLER, f"add task 1: Check {number} seller")


def test_ten_rapid_clicks_make_two_updates(local_bot, driver, clock):
    ten_task_plan(driver)
    ts = post_status(local_bot, driver)
    send_plan_updates(local_bot)
    local_bot.standin.reset_calls()
    clock.advance(seconds=10)

    for number in range(1, 11):
        driver.click(SELLER, ts, ids.TASK_COMPLETE, value=str(task_id(local_bot, number)))
        live_plan(local_bot).flush_due()
        clock.advance(milliseconds=20)

    assert len(updates(local_bot)) == 1
    clock.advance(seconds=1)
    live_plan(local_bot).flush_due()
    assert len(updates(local_bot)) == 2
    message = current(local_bot, ts)
    assert message["text"] == "Mutual Action Plan for Acme renewal: 10/10 tasks, 100%"
    assert live_plan(local_bot).pending_rooms() == []


def test_first_click_updates_at_once(local_bot, driver, clock):
    sample_plan(driver)
    ts = post_status(local_bot, driver)
    send_plan_updates(local_bot)
    clock.advance(seconds=10)

    driver.click(BUYER, ts, ids.TASK_COMPLETE, value=str(task_id(local_bot, 1)))

    assert live_plan(local_bot).flush_due() == 1
    assert "Completed: #1 Share SOC 2 report" in blocks_text(current(local_bot, ts))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("add task 1: Book the kickoff call seller", "Book the kickoff call"),
        ("add milestone Procurement", "Procurement"),
        ("done #1", "Completed: #1 Share SOC 2 report"),
        ("start #3", f"{ids.MENU_NOT_STARTED}:"),
    ],
)
def test_command_updates_live_message(local_bot, driver, command, expected):
    sample_plan(driver)
    ts = post_status(local_bot, driver)
    assert expected not in blocks_text(current(local_bot, ts))

    driver.command(SELLER, command)
    send_plan_updates(local_bot)

    assert expected in blocks_text(current(local_bot, ts))
    assert len(plan_messages(local_bot)) == 1


def test_command_without_change_sends_nothing(local_bot, driver):
    sample_plan(driver)
    post_status(local_bot, driver)
    driver.command(SELLER, "done #1")
    send_plan_updates(local_bot)
    local_bot.standin.reset_calls()

    driver.command(SELLER, "done #1")

    assert live_plan(local_bot).pending_rooms() == []
    assert updates(local_bot) == []


def test_status_repost_marks_old_message(local_bot, driver):
    sample_plan(driver)
    old_ts = post_status(local_bot, driver)

    new_ts = post_status(local_bot, driver)
    send_plan_updates(local_bot)

    assert new_ts != old_ts
    assert live_state(local_bot).ts == new_ts
    assert OUTDATED_NOTICE in blocks_text(current(local_bot, old_ts))
    assert OUTDATED_NOTICE not in blocks_text(current(local_bot, new_ts))
    assert [call["ts"] for call in updates(local_bot)] == [old_ts]


def test_click_on_old_message_still_works(local_bot, driver, clock):
    sample_plan(driver)
    old_ts = post_status(local_bot, driver)
    new_ts = post_status(local_bot, driver)
    send_plan_updates(local_bot)
    clock.advance(seconds=10)

    driver.click(BUYER, old_ts, ids.TASK_COMPLETE, value=str(task_id(local_bot, 1)))
    send_plan_updates(local_bot)

    assert task_status(local_bot, 1) is Status.COMPLETED
    for ts in (old_ts, new_ts):
        assert "Completed: #1 Share SOC 2 report" in blocks_text(current(local_bot, ts))
    assert OUTDATED_NOTICE in blocks_text(current(local_bot, old_ts))
    assert OUTDATED_NOTICE not in blocks_text(current(local_bot, new_ts))


def test_status_rate_limited_explains(local_bot, driver):
    sample_plan(driver)
    old_ts = post_status(local_bot, driver)
    local_bot.standin.fail_next("chat.postMessage", status=429, retry_after=2)

    driver.command(SELLER, "status")

    replies = [m["text"] for m in local_bot.standin.ephemerals(CHANNEL, SELLER)]
    assert "rate-limiting messages in this channel" in replies[-1]
    assert live_state(local_bot).ts == old_ts
    assert len(plan_messages(local_bot)) == 1


def test_deleted_live_message_posts_nothing(local_bot, driver, clock):
    sample_plan(driver)
    ts = post_status(local_bot, driver)
    local_bot.runtime.client.chat_delete(channel=CHANNEL, ts=ts)

    driver.command(SELLER, "done #1")
    send_plan_updates(local_bot)

    assert plan_messages(local_bot) == []
    assert live_state(local_bot).ts is None
    assert len(local_bot.standin.calls_to("chat.postMessage")) == 1

    new_ts = post_status(local_bot, driver)
    assert live_state(local_bot).ts == new_ts
    assert "Completed: #1 Share SOC 2 report" in blocks_text(current(local_bot, new_ts))


def test_archived_channel_stops_updates(local_bot, driver, clock):
    sample_plan(driver)
    post_status(local_bot, driver)
    local_bot.standin.archive_channel(CHANNEL)

    driver.command(SELLER, "done #1")
    send_plan_updates(local_bot)
    clock.advance(seconds=10)
    driver.command(SELLER, "done #2")
    send_plan_updates(local_bot)

    assert live_state(local_bot).error == "is_archived"
    assert len(updates(local_bot)) == 1


def test_last_changed_shows_date_token(local_bot, driver, clock):
    sample_plan(driver)
    clock.advance(hours=2)
    driver.command(SELLER, "add milestone Kickoff")
    ts = post_status(local_bot, driver)

    context = current(local_bot, ts)["blocks"][1]["elements"][0]["text"]
    changed = int(clock().timestamp())
    assert f"Last changed <!date^{changed}^{{date_short_pretty}} at {{time}}|" in context


def big_plan(bot, milestones: int = 60, tasks: int = 400) -> None:
    """Write a plan straight to the database; 460 slash commands would be slow."""
    now = bot.clock()
    with bot.runtime.services.sessions.begin() as session:
        room = plans.create_room(
            session,
            team_id="T0HOME",
            channel_id=CHANNEL,
            deal_name="Globex platform rollout",
            actor=SELLER,
            now=now,
        )
        created = [
            plans.add_milestone(
                session, room, title=f"Workstream {index:02d}", due_date=None, actor=SELLER, now=now
            )
            for index in range(1, milestones + 1)
        ]
        for number in range(tasks):
            new = plans.NewTask(title=f"Deliverable {number + 1} " + "x" * 80, side=Side.BUYER)
            milestone = created[number % milestones]
            plans.add_task(session, room, milestone, new, actor=SELLER, now=now)


def page_line(message: dict) -> str:
    return message["blocks"][1]["elements"][0]["text"]


def test_big_plan_pages_valid_and_navigable(local_bot, driver, clock):
    big_plan(local_bot)
    ts = post_status(local_bot, driver)
    first = current(local_bot, ts)
    assert check_message(first["blocks"], first["text"]) is None
    assert "Page 1 of " in page_line(first)
    page_count = int(page_line(first).split("Page 1 of ")[1].split(",")[0])
    assert page_count > 1

    for page in range(2, page_count + 1):
        clock.advance(seconds=2)
        driver.click(BUYER, ts, ids.PLAN_PAGE_NEXT)
        assert live_plan(local_bot).flush_due() == 1
        message = current(local_bot, ts)
        assert check_message(message["blocks"], message["text"]) is None, page
        assert f"Page {page} of {page_count}" in page_line(message)

    clock.advance(seconds=2)
    driver.click(SELLER, ts, ids.PLAN_PAGE_PREVIOUS)
    live_plan(local_bot).flush_due()
    assert f"Page {page_count - 1} of {page_count}" in page_line(current(local_bot, ts))
    assert live_state(local_bot).page == page_count - 1


def test_jump_to_milestone_page(local_bot, driver, clock):
    big_plan(local_bot)
    ts = post_status(local_bot, driver)
    with local_bot.runtime.services.sessions.begin() as session:
        room = plans.require_room(session, "T0HOME", CHANNEL)
        last = plans.resolve_milestone(session, room, "60")

    driver.click(BUYER, ts, ids.PLAN_PAGE_MILESTONE, selected=str(last.id))
    send_plan_updates(local_bot)

    message = current(local_bot, ts)
    assert f'"block_id": "{ids.BLOCK_MILESTONE}:{last.id}"' in blocks_text(message)
    assert check_message(message["blocks"], message["text"]) is None


def test_jump_to_deleted_milestone_explains(local_bot, driver):
    big_plan(local_bot, milestones=20, tasks=120)
    ts = post_status(local_bot, driver)
    with local_bot.runtime.services.sessions.begin() as session:
        gone = session.scalars(select(Milestone).where(Milestone.position == 20)).one()
        gone_id = gone.id
        session.delete(gone)

    driver.click(BUYER, ts, ids.PLAN_PAGE_MILESTONE, selected=str(gone_id))

    replies = [m["text"] for m in local_bot.standin.ephemerals(CHANNEL, BUYER)]
    assert any("no longer in this plan" in text for text in replies)
    assert live_state(local_bot).page == 1


def test_growing_plan_update_stays_valid(local_bot, driver, clock):
    sample_plan(driver)
    ts = post_status(local_bot, driver)
    assert "Page 1 of" not in page_line(current(local_bot, ts))

    with local_bot.runtime.services.sessions.begin() as session:
        room = plans.require_room(session, "T0HOME", CHANNEL)
        milestone = plans.resolve_milestone(session, room, "1")
        for number in range(80):
            new = plans.NewTask(title=f"Extra review item {number} " + "y" * 120, side=Side.SELLER)
            plans.add_task(session, room, milestone, new, actor=SELLER, now=clock())
    driver.command(SELLER, "add task 2: One more through Slack seller")
    send_plan_updates(local_bot)

    message = current(local_bot, ts)
    assert check_message(message["blocks"], message["text"]) is None
    assert "Page 1 of " in page_line(message)
    assert message["text"] == "Mutual Action Plan for Acme renewal: 0/84 tasks, 0%"
    assert ids.PLAN_PAGE_NEXT in blocks_text(message)
