"""Helpers for end-to-end tests of the modals: open views, read them, and read the database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.playground.driver import Interaction, SlackDriver
from bot.playground.local import DEAL_CHANNEL, LocalBot
from bot.playground.slack_requests import action_from_element, block_actions_body
from storage.models import Activity, DealRoom, Milestone, Task
from tests.e2e.conftest import SELLER, plan_messages, send_plan_updates


def only_view(bot: LocalBot, user: str) -> dict[str, Any]:
    views = bot.standin.views(user)
    assert len(views) == 1, f"{user} has {len(views)} open views"
    return views[0]


def view_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    return json.loads(view["private_metadata"])


def field_errors(interaction: Interaction) -> dict[str, str]:
    answer = interaction.response.json()
    assert answer is not None, "the modal was closed instead of showing errors"
    assert answer["response_action"] == "errors", answer
    return answer["errors"]


def closed(interaction: Interaction) -> bool:
    return interaction.response.status == 200 and interaction.response.json() is None


def notice_text(interaction: Interaction) -> str:
    answer = interaction.response.json()
    assert answer["response_action"] == "update", answer
    return view_text(answer["view"])


def initial_values(view: dict[str, Any]) -> dict[str, Any]:
    """Map each input block_id to the value the form shows before anyone types."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        for key in ("initial_value", "initial_user", "initial_date"):
            if key in element:
                values[block["block_id"]] = element[key]
        if "initial_option" in element:
            values[block["block_id"]] = element["initial_option"]["value"]
    return values


def option_values(view: dict[str, Any], block_id: str) -> list[str]:
    for block in view["blocks"]:
        if block.get("block_id") == block_id:
            return [option["value"] for option in block["element"]["options"]]
    raise AssertionError(f"no block {block_id}")


def post_plan(bot: LocalBot, driver: SlackDriver) -> str:
    """Post the plan with `/map status` and return the message ts."""
    driver.command(SELLER, "status")
    send_plan_updates(bot)
    return plan_messages(bot)[-1]["ts"]


def plan_text(bot: LocalBot, ts: str) -> str:
    message = bot.standin.message(DEAL_CHANNEL, ts)
    assert message is not None
    return json.dumps(message["blocks"], ensure_ascii=False)


def pick_from(
    bot: LocalBot,
    driver: SlackDriver,
    user: str,
    message: dict[str, Any],
    value: str,
    *,
    channel_id: str = DEAL_CHANNEL,
) -> Interaction:
    """Pick an overflow option from `message` as it was shown then, even if it changed since."""
    for block in message["blocks"]:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") != "overflow":
                continue
            if value in [option["value"] for option in element["options"]]:
                action = action_from_element(
                    element, block["block_id"], action_ts="1.0", selected=value
                )
                body = block_actions_body(
                    team_id="T0HOME",
                    user_id=user,
                    user_team_id=str((bot.standin.user(user) or {}).get("team_id", "T0HOME")),
                    channel_id=channel_id,
                    message=message,
                    action=action,
                    response_url=bot.standin.new_response_url(channel_id, user, message["ts"]),
                    trigger_id=bot.standin.new_trigger_id(user),
                )
                return Interaction(driver.sender.post(body), None, None)
    raise AssertionError(f"no overflow option {value}")


def sessions(bot: LocalBot) -> sessionmaker[Session]:
    assert bot.runtime is not None
    return bot.runtime.services.sessions


def task_row(bot: LocalBot, number: int) -> Task | None:
    with sessions(bot).begin() as session:
        return session.scalars(select(Task).where(Task.number == number)).one_or_none()


def task_id(bot: LocalBot, number: int) -> int:
    task = task_row(bot, number)
    assert task is not None
    return task.id


def milestone_row(bot: LocalBot, title: str) -> Milestone | None:
    with sessions(bot).begin() as session:
        return session.scalars(select(Milestone).where(Milestone.title == title)).one_or_none()


def milestone_id(bot: LocalBot, title: str) -> int:
    milestone = milestone_row(bot, title)
    assert milestone is not None
    return milestone.id


def milestone_order(bot: LocalBot) -> list[tuple[int, str]]:
    with sessions(bot).begin() as session:
        rows = session.execute(
            select(Milestone.position, Milestone.title).order_by(Milestone.position)
        )
        return [(position, title) for position, title in rows]


def row_counts(bot: LocalBot) -> list[int]:
    """Return how many milestones, tasks and activity rows the database has."""
    with sessions(bot).begin() as session:
        return [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Milestone, Task, Activity)
        ]


def activity_actions(bot: LocalBot) -> list[str]:
    with sessions(bot).begin() as session:
        return list(session.scalars(select(Activity.action).order_by(Activity.id)))


def set_room_timezone(bot: LocalBot, zone: str) -> None:
    with sessions(bot).begin() as session:
        session.scalars(select(DealRoom)).one().timezone = zone
