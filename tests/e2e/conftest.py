"""End-to-end fixtures: the real HTTP server, the Slack stand-in and a driver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.playground.driver import SlackDriver
from bot.playground.local import DEAL_CHANNEL, LocalBot
from tests.conftest import FakeClock

SELLER = "U0SELLER"
SELLER_2 = "U0SE2"
BUYER = "U0BUYER"


@pytest.fixture
def local_bot(tmp_path: Path, clock: FakeClock) -> Iterator[LocalBot]:
    # Without the background thread, live plan updates wait for send_plan_updates().
    database_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    with LocalBot(database_url, clock=clock, live_plan_thread=False) as bot:
        yield bot


@pytest.fixture
def driver(local_bot: LocalBot) -> SlackDriver:
    return local_bot.driver()


def send_plan_updates(bot: LocalBot) -> int:
    """Send the pending live plan message updates now; return how many rooms were updated."""
    assert bot.runtime is not None
    return bot.runtime.live_plan.flush_now()


def ephemeral_texts(bot: LocalBot, user: str) -> list[str]:
    return [message["text"] for message in bot.standin.ephemerals(DEAL_CHANNEL, user)]


def last_ephemeral(bot: LocalBot, user: str) -> str:
    texts = ephemeral_texts(bot, user)
    assert texts, f"no ephemeral message for {user}"
    return texts[-1]


def channel_messages(bot: LocalBot) -> list[dict]:
    return bot.standin.messages(DEAL_CHANNEL)


def plan_messages(bot: LocalBot) -> list[dict]:
    return [m for m in channel_messages(bot) if m["text"].startswith("Mutual Action Plan")]


def start_room(driver: SlackDriver, name: str = "Acme renewal") -> None:
    driver.command(SELLER, f"init {name}")


def sample_plan(driver: SlackDriver) -> None:
    """Two milestones with three tasks: two seller tasks and one buyer task."""
    start_room(driver)
    driver.command(SELLER, "add milestone Security review due 2027-01-15")
    driver.command(SELLER, "add milestone Legal review")
    driver.command(
        SELLER, f"add task Security review: Share SOC 2 report <@{SELLER}> due 2027-01-10"
    )
    driver.command(SELLER, f"add task Security review: Fill in questionnaire <@{BUYER}>")
    driver.command(SELLER, "add task 2: Send redlines owner Dana Whitfield due 2026-12-01")
