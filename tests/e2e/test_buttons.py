"""Clicks on the plan message: Complete and Start, repeated and forged."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot import ids
from bot.playground.slack_requests import block_actions_body
from storage.models import Activity, Milestone, Status, Task
from tests.e2e.conftest import (
    BUYER,
    SELLER,
    last_ephemeral,
    plan_messages,
    sample_plan,
    send_plan_updates,
)


def task_by_number(bot, number: int) -> Task:
    with bot.runtime.services.sessions.begin() as session:
        return session.scalars(select(Task).where(Task.number == number)).one()


def posted_plan(bot, driver) -> dict:
    driver.command(SELLER, "status")
    return plan_messages(bot)[-1]


def status_changes(bot) -> list[Activity]:
    with bot.runtime.services.sessions.begin() as session:
        return list(session.scalars(select(Activity).where(Activity.action == "task.status")))


def test_complete_updates_message_in_place(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 1)

    driver.click(BUYER, plan["ts"], ids.TASK_COMPLETE, value=str(task.id))
    send_plan_updates(local_bot)

    assert task_by_number(local_bot, 1).status is Status.COMPLETED
    [updated] = plan_messages(local_bot)
    assert updated["ts"] == plan["ts"]
    assert updated["text"] == "Mutual Action Plan for Acme renewal: 1/3 tasks, 33%"
    assert "Completed: #1 Share SOC 2 report" in json.dumps(updated["blocks"])
    assert len(local_bot.standin.calls_to("chat.update")) == 1


def test_complete_recomputes_milestone(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    for number in (1, 2):
        task = task_by_number(local_bot, number)
        driver.click(SELLER, plan["ts"], ids.TASK_COMPLETE, value=str(task.id))
    with local_bot.runtime.services.sessions.begin() as session:
        milestone = session.scalars(select(Milestone).where(Milestone.position == 1)).one()
        assert milestone.status is Status.COMPLETED


def test_start_option_sets_in_progress(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 3)
    start = f"{ids.MENU_IN_PROGRESS}:{task.id}:not_started"
    driver.click(BUYER, plan["ts"], ids.TASK_OVERFLOW, value=start)
    send_plan_updates(local_bot)
    assert task_by_number(local_bot, 3).status is Status.IN_PROGRESS
    blocks = json.dumps(plan_messages(local_bot)[-1]["blocks"])
    assert f"{ids.MENU_NOT_STARTED}:{task.id}" in blocks


def test_double_click_changes_once(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 1)
    message = local_bot.standin.message_payload("C0DEAL", plan["ts"])
    # Both clicks come from the same rendering of the message, as a fast double click does.
    for _ in range(2):
        body = click_body(local_bot, message, task.id)
        assert driver.sender.post(body).status == 200
    assert len(status_changes(local_bot)) == 1
    assert task_by_number(local_bot, 1).status is Status.COMPLETED


def click_body(bot, message, task_id, *, team_id="T0HOME", channel_id="C0DEAL") -> bytes:
    action = {
        "type": "button",
        "action_id": ids.TASK_COMPLETE,
        "block_id": f"{ids.BLOCK_TASK_ACTIONS}:{task_id}",
        "text": {"type": "plain_text", "text": "Complete"},
        "value": str(task_id),
        "action_ts": "1796419999.000100",
    }
    return block_actions_body(
        team_id=team_id,
        user_id=BUYER,
        user_team_id="T0BUYER",
        channel_id=channel_id,
        message=message,
        action=action,
        response_url=bot.standin.new_response_url(channel_id, BUYER, message["ts"]),
        trigger_id=bot.standin.new_trigger_id(BUYER),
    )


def test_click_from_other_room_changes_nothing(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 1)
    other = local_bot.driver("C0OTHER")
    local_bot.standin.add_channel("C0OTHER", "deal-globex")
    other.command(SELLER, "init Globex")
    message = local_bot.standin.message_payload("C0DEAL", plan["ts"])

    body = click_body(local_bot, message, task.id, channel_id="C0OTHER")
    assert driver.sender.post(body).status == 200

    assert task_by_number(local_bot, 1).status is Status.NOT_STARTED
    assert status_changes(local_bot) == []
    replies = [m["text"] for m in local_bot.standin.ephemerals("C0OTHER", BUYER)]
    assert any("no longer in this plan" in text for text in replies)


def test_click_from_other_workspace_changes_nothing(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 1)
    message = local_bot.standin.message_payload("C0DEAL", plan["ts"])

    body = click_body(local_bot, message, task.id, team_id="T0FORGED")
    assert driver.sender.post(body).status == 200

    assert task_by_number(local_bot, 1).status is Status.NOT_STARTED
    assert "no longer in this plan" in last_ephemeral(local_bot, BUYER)


def test_click_on_deleted_task(local_bot, driver):
    sample_plan(driver)
    plan = posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 1)
    with local_bot.runtime.services.sessions.begin() as session:
        session.delete(session.get(Task, task.id))
    driver.click(SELLER, plan["ts"], ids.TASK_COMPLETE, value=str(task.id))
    assert "no longer in this plan" in last_ephemeral(local_bot, SELLER)
    assert status_changes(local_bot) == []


def test_start_on_older_copy_keeps_completed(local_bot, driver):
    sample_plan(driver)
    older = posted_plan(local_bot, driver)
    posted_plan(local_bot, driver)
    task = task_by_number(local_bot, 1)
    driver.command(BUYER, "done #1")
    changes_before = len(status_changes(local_bot))

    start = f"{ids.MENU_IN_PROGRESS}:{task.id}:not_started"
    driver.click(SELLER, older["ts"], ids.TASK_OVERFLOW, value=start)

    assert task_by_number(local_bot, 1).status is Status.COMPLETED
    assert len(status_changes(local_bot)) == changes_before
    assert "is Completed now, so nothing was changed" in last_ephemeral(local_bot, SELLER)
