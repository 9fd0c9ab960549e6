"""A `/map` command or a click in a room lifts its blocked reminder destinations."""

from __future__ import annotations

from sqlalchemy import select

from bot import ids
from bot.playground.local import DEAL_CHANNEL
from storage import outbox
from storage.models import DealRoom, Task
from tests.conftest import FIXED_NOW
from tests.e2e.conftest import BUYER, SELLER, plan_messages, sample_plan, start_room


def block_room(bot, *destinations: str) -> int:
    """Block destinations of the deal room, as delivery does after a permanent error."""
    with bot.runtime.services.sessions.begin() as session:
        room_id = session.scalars(select(DealRoom.id)).one()
        for destination in destinations:
            outbox.block_destination(
                session,
                room_id=room_id,
                destination=destination,
                reason="not_in_channel",
                now=FIXED_NOW,
            )
        return room_id


def blocked(bot, room_id: int) -> dict[str, str]:
    with bot.runtime.services.sessions.begin() as session:
        return outbox.blocked_destinations(session, room_id)


def test_command_in_room_lifts_blocks(local_bot, driver):
    start_room(driver)
    room_id = block_room(local_bot, DEAL_CHANNEL, BUYER)

    driver.command(SELLER, "status")

    assert blocked(local_bot, room_id) == {}


def test_command_in_other_channel_keeps_blocks(local_bot, driver):
    start_room(driver)
    room_id = block_room(local_bot, DEAL_CHANNEL)

    driver.command(SELLER, "help", channel_id="C0ELSEWHERE")

    assert blocked(local_bot, room_id) == {DEAL_CHANNEL: "not_in_channel"}


def test_click_in_room_lifts_blocks(local_bot, driver):
    sample_plan(driver)
    driver.command(SELLER, "status")
    plan = plan_messages(local_bot)[-1]
    room_id = block_room(local_bot, DEAL_CHANNEL)
    with local_bot.runtime.services.sessions.begin() as session:
        task = session.scalars(select(Task).where(Task.number == 1)).one()

    driver.click(BUYER, plan["ts"], ids.TASK_COMPLETE, value=str(task.id))

    assert blocked(local_bot, room_id) == {}
