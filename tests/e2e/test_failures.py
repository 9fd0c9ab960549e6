"""Failures on Slack's side or ours: the person gets a clear message, never a traceback."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from bot import ids
from storage.models import Task
from tests.e2e.conftest import (
    SELLER,
    last_ephemeral,
    plan_messages,
    sample_plan,
    send_plan_updates,
)


def test_status_without_membership_asks_for_invite(local_bot, driver):
    sample_plan(driver)
    local_bot.standin.set_bot_member("C0DEAL", False)
    driver.command(SELLER, "status")
    assert "/invite @mapbot" in last_ephemeral(local_bot, SELLER)
    assert plan_messages(local_bot) == []


def test_unexpected_error_apologises_and_logs_ids(local_bot, driver, caplog):
    sample_plan(driver)
    local_bot.standin.fail_next("chat.postMessage", error="fatal_error")
    with caplog.at_level(logging.ERROR):
        response = driver.command(SELLER, "status")
    assert response.response.status == 200
    reply = last_ephemeral(local_bot, SELLER)
    assert reply.startswith("Sorry, something went wrong")
    assert "fatal_error" not in reply
    failure = [r for r in caplog.records if r.name == "bot.listeners.commands"]
    assert failure
    assert "channel=C0DEAL" in failure[0].getMessage()
    assert "user=U0SELLER" in failure[0].getMessage()
    assert local_bot.standin.bot_token not in caplog.text


def test_failed_update_after_click_is_retried(local_bot, driver, clock):
    sample_plan(driver)
    driver.command(SELLER, "status")
    plan = plan_messages(local_bot)[-1]
    with local_bot.runtime.services.sessions.begin() as session:
        task = session.scalars(select(Task).where(Task.number == 1)).one()
    local_bot.standin.fail_next("chat.update", status=500)

    interaction = driver.click(SELLER, plan["ts"], ids.TASK_COMPLETE, value=str(task.id))
    assert interaction.response.status == 200
    assert send_plan_updates(local_bot) == 1
    assert "Completed: #1" not in json.dumps(plan_messages(local_bot)[-1]["blocks"])

    # The click changed the task, so the person gets no apology; the update is retried.
    assert not last_ephemeral(local_bot, SELLER).startswith("Sorry")
    clock.advance(seconds=5)
    assert local_bot.runtime.live_plan.flush_due() == 1
    assert "Completed: #1" in json.dumps(plan_messages(local_bot)[-1]["blocks"])
    assert len(local_bot.standin.calls_to("chat.update")) == 2


def test_status_in_unknown_channel_asks_for_invite(local_bot, driver):
    sample_plan(driver)
    local_bot.standin.fail_next("chat.postMessage", error="channel_not_found")
    driver.command(SELLER, "status")
    reply = last_ephemeral(local_bot, SELLER)
    assert "/invite @mapbot" in reply
    assert "direct messages" in reply
