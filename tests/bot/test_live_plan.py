"""LivePlan against a real database and the Slack stand-in: coalescing, errors, threads."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.live_plan import MAX_ATTEMPTS, LivePlan
from bot.playground.standin import SlackStandIn
from storage import live_messages, plans
from storage.models import Side

TEAM = "T0HOME"
CHANNEL = "C0DEAL"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=TEAM) as slack:
        slack.add_channel(CHANNEL, "deal-acme")
        yield slack


@pytest.fixture
def client(standin) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


@pytest.fixture
def live(sessions, client, clock) -> LivePlan:
    return LivePlan(sessions, client, clock=clock)


def create_room(sessions, clock, channel_id: str = CHANNEL, tasks: int = 1) -> None:
    with sessions.begin() as session:
        room = plans.create_room(
            session,
            team_id=TEAM,
            channel_id=channel_id,
            deal_name="Acme renewal",
            actor="U0SELLER",
            now=clock(),
        )
        milestone = plans.add_milestone(
            session, room, title="Security review", due_date=None, actor="U0SELLER", now=clock()
        )
        for number in range(tasks):
            new = plans.NewTask(title=f"Task {number + 1}", side=Side.SELLER)
            plans.add_task(session, room, milestone, new, actor="U0SELLER", now=clock())


def add_task(sessions, clock, title: str, channel_id: str = CHANNEL) -> None:
    with sessions.begin() as session:
        room = plans.require_room(session, TEAM, channel_id)
        milestone = plans.resolve_milestone(session, room, "1")
        new = plans.NewTask(title=title, side=Side.BUYER)
        plans.add_task(session, room, milestone, new, actor="U0SELLER", now=clock())


def live_state(sessions, channel_id: str = CHANNEL):
    with sessions.begin() as session:
        return live_messages.find_live_message(session, TEAM, channel_id)


def message_text(standin, ts: str) -> str:
    message = standin.message(CHANNEL, ts)
    assert message is not None, f"no message {ts}"
    return json.dumps(message["blocks"])


def updates(standin) -> int:
    return len(standin.calls_to("chat.update"))


def test_post_makes_live_message(live, sessions, clock, standin):
    create_room(sessions, clock)

    ts = live.post(TEAM, CHANNEL)

    state = live_state(sessions)
    assert ts is not None
    assert state.ts == ts
    assert state.page == 1
    assert "Task 1" in message_text(standin, ts)


def test_post_outside_room_returns_none(live, standin):
    assert live.post(TEAM, CHANNEL) is None
    assert standin.calls_to("chat.postMessage") == []


def test_first_change_sent_at_once(live, sessions, clock, standin):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    add_task(sessions, clock, "Share SOC 2 report")

    live.plan_changed(TEAM, CHANNEL)

    assert live.flush_due() == 1
    assert updates(standin) == 1
    assert "Share SOC 2 report" in message_text(standin, ts)


def test_burst_coalesced_into_two_updates(live, sessions, clock, standin):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)

    for number in range(10):
        add_task(sessions, clock, f"Burst task {number}")
        live.plan_changed(TEAM, CHANNEL)
        live.flush_due()
        clock.advance(milliseconds=50)

    assert updates(standin) == 1
    clock.advance(seconds=1)
    assert live.flush_due() == 1
    assert updates(standin) == 2
    assert "Burst task 9" in message_text(standin, ts)
    assert live.pending_rooms() == []


def test_update_waits_for_interval(live, sessions, clock, standin):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    live.plan_changed(TEAM, CHANNEL)
    clock.advance(milliseconds=999)
    assert live.flush_due() == 0
    clock.advance(milliseconds=1)
    assert live.flush_due() == 1
    assert updates(standin) == 2


def test_quiet_room_updates_at_once_again(live, sessions, clock, standin):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    clock.advance(seconds=30)
    live.plan_changed(TEAM, CHANNEL)

    assert live.flush_due() == 1
    assert updates(standin) == 2


def test_room_without_live_message_sends_nothing(live, sessions, clock, standin):
    create_room(sessions, clock)

    live.plan_changed(TEAM, CHANNEL)

    assert live.flush_due() == 1
    assert updates(standin) == 0
    assert standin.calls_to("chat.postMessage") == []


def test_unknown_channel_sends_nothing(live, standin):
    live.plan_changed(TEAM, "C0NOTAROOM")

    assert live.flush_due() == 1
    assert updates(standin) == 0


def test_deleted_message_clears_pointer(live, sessions, clock, standin, client):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    client.chat_delete(channel=CHANNEL, ts=ts)

    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    assert live_state(sessions).ts is None
    assert len(standin.calls_to("chat.postMessage")) == 1
    clock.advance(seconds=5)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()
    assert updates(standin) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "not_in_channel"])
def test_channel_error_stops_updates(live, sessions, clock, standin, error, caplog):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    standin.fail_next("chat.update", error=error)

    with caplog.at_level(logging.WARNING, logger="bot.live_plan"):
        live.plan_changed(TEAM, CHANNEL)
        live.flush_due()

    state = live_state(sessions)
    assert state.ts == ts
    assert state.error == error
    assert f"channel={CHANNEL}" in caplog.text
    assert standin.bot_token not in caplog.text
    clock.advance(seconds=5)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()
    assert updates(standin) == 1


def test_status_after_channel_error_restarts(live, sessions, clock, standin):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    standin.fail_next("chat.update", error="not_in_channel")
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    new_ts = live.post(TEAM, CHANNEL)
    clock.advance(seconds=5)
    add_task(sessions, clock, "After the invite")
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    assert live_state(sessions).error is None
    assert "After the invite" in message_text(standin, new_ts)


def test_rate_limit_pauses_for_retry_after(live, sessions, clock, standin):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    standin.fail_next("chat.update", status=429, retry_after=3)
    add_task(sessions, clock, "Sent after the pause")
    live.plan_changed(TEAM, CHANNEL)

    live.flush_due()
    assert "Sent after the pause" not in message_text(standin, ts)

    clock.advance(seconds=2)
    assert live.flush_due() == 0
    assert live.flush_now() == 0
    clock.advance(seconds=1)
    assert live.flush_due() == 1
    assert "Sent after the pause" in message_text(standin, ts)
    assert updates(standin) == 2


def test_rate_limit_pauses_every_room(live, sessions, clock, standin):
    standin.add_channel("C0OTHER", "deal-globex")
    create_room(sessions, clock)
    create_room(sessions, clock, channel_id="C0OTHER")
    live.post(TEAM, CHANNEL)
    live.post(TEAM, "C0OTHER")
    standin.fail_next("chat.update", status=429, retry_after=10)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    live.plan_changed(TEAM, "C0OTHER")
    assert live.flush_due() == 0
    clock.advance(seconds=10)
    assert live.flush_due() == 2
    assert updates(standin) == 3


def test_workspace_budget_spreads_rooms(sessions, client, clock, standin):
    live = LivePlan(sessions, client, clock=clock, updates_per_minute=3)
    channels = [f"C0ROOM{number}" for number in range(5)]
    for channel in channels:
        standin.add_channel(channel, channel.lower())
        create_room(sessions, clock, channel_id=channel)
        live.post(TEAM, channel)

    for channel in channels:
        live.plan_changed(TEAM, channel)

    assert live.flush_due() == 3
    clock.advance(seconds=59)
    assert live.flush_due() == 0
    clock.advance(seconds=1)
    assert live.flush_due() == 2
    assert updates(standin) == 5


def test_server_error_retried_then_dropped(live, sessions, clock, standin, caplog):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    standin.fail_next("chat.update", status=500, count=MAX_ATTEMPTS)
    live.plan_changed(TEAM, CHANNEL)

    with caplog.at_level(logging.WARNING, logger="bot.live_plan"):
        for _ in range(MAX_ATTEMPTS):
            assert live.flush_due() == 1
            clock.advance(seconds=60)

    assert updates(standin) == MAX_ATTEMPTS
    assert live.pending_rooms() == []
    assert f"Failed to update the live plan message {MAX_ATTEMPTS} times" in caplog.text


def test_server_error_retried_with_backoff(live, sessions, clock, standin):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    standin.fail_next("chat.update", status=503, count=2)
    add_task(sessions, clock, "Third time lucky")
    live.plan_changed(TEAM, CHANNEL)

    assert live.flush_due() == 1
    clock.advance(seconds=2)
    assert live.flush_due() == 1
    clock.advance(seconds=2)
    assert live.flush_due() == 0
    clock.advance(seconds=2)
    assert live.flush_due() == 1
    assert "Third time lucky" in message_text(standin, ts)


def test_new_post_marks_old_outdated(live, sessions, clock, standin):
    create_room(sessions, clock)
    old_ts = live.post(TEAM, CHANNEL)
    new_ts = live.post(TEAM, CHANNEL)

    live.flush_due()

    assert "no longer updated" in message_text(standin, old_ts)
    assert "no longer updated" not in message_text(standin, new_ts)
    assert live_state(sessions).ts == new_ts
    assert updates(standin) == 1


def test_click_on_old_message_redraws_both(live, sessions, clock, standin):
    create_room(sessions, clock)
    old_ts = live.post(TEAM, CHANNEL)
    new_ts = live.post(TEAM, CHANNEL)
    live.flush_due()
    clock.advance(seconds=5)
    add_task(sessions, clock, "Clicked from the old one")

    live.plan_changed(TEAM, CHANNEL, source_ts=old_ts)
    live.flush_due()

    assert "Clicked from the old one" in message_text(standin, old_ts)
    assert "no longer updated" in message_text(standin, old_ts)
    assert "Clicked from the old one" in message_text(standin, new_ts)


def test_outdated_message_deleted_is_ignored(live, sessions, clock, standin, client):
    create_room(sessions, clock)
    old_ts = live.post(TEAM, CHANNEL)
    client.chat_delete(channel=CHANNEL, ts=old_ts)
    new_ts = live.post(TEAM, CHANNEL)

    live.flush_due()

    assert live_state(sessions).ts == new_ts
    assert live.pending_rooms() == []


def test_post_rejected_changes_nothing(live, sessions, clock, standin):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    standin.set_bot_member(CHANNEL, False)

    with pytest.raises(SlackApiError):
        live.post(TEAM, CHANNEL)

    assert live_state(sessions).ts == ts
    assert live.pending_rooms() == []


def test_page_kept_across_updates(live, sessions, clock, standin):
    create_room(sessions, clock, tasks=60)
    ts = live.post(TEAM, CHANNEL)
    with sessions.begin() as session:
        live_messages.set_live_page(session, TEAM, CHANNEL, 2)

    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()

    assert "Page 2 of" in message_text(standin, ts)
    assert "(continued)" in message_text(standin, ts)


def test_changes_from_many_threads(live, sessions, clock, standin):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    start = threading.Barrier(8)

    def click() -> None:
        start.wait()
        for _ in range(10):
            live.plan_changed(TEAM, CHANNEL)

    workers = [threading.Thread(target=click) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert live.flush_due() == 1
    assert live.flush_due() == 0
    assert updates(standin) == 1


def test_thread_sends_first_change(live, sessions, clock, standin):
    create_room(sessions, clock)
    ts = live.post(TEAM, CHANNEL)
    add_task(sessions, clock, "Sent by the thread")
    live.start()
    try:
        live.plan_changed(TEAM, CHANNEL)
        assert live.wait_until_idle(timeout=10)
    finally:
        live.stop()

    assert updates(standin) == 1
    assert "Sent by the thread" in message_text(standin, ts)


def test_thread_waits_for_clock(live, sessions, clock, standin):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()
    live.start()
    try:
        live.plan_changed(TEAM, CHANNEL)
        # The fake clock does not move, so the update stays due in 1 s of its time.
        assert live.wait_until_idle(timeout=10)
        assert live.pending_rooms() == [(TEAM, CHANNEL)]
    finally:
        live.stop()

    assert updates(standin) == 1


def test_stop_ends_thread(live, sessions, clock, standin):
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    live.start()
    live.stop()
    live.stop()

    live.plan_changed(TEAM, CHANNEL)

    assert [t for t in threading.enumerate() if t.name == "live-plan"] == []
    assert live.pending_rooms() == [(TEAM, CHANNEL)]
    assert updates(standin) == 0


def test_interval_is_configurable(sessions, client, clock, standin):
    live = LivePlan(sessions, client, clock=clock, interval=timedelta(seconds=5))
    create_room(sessions, clock)
    live.post(TEAM, CHANNEL)
    live.plan_changed(TEAM, CHANNEL)
    live.flush_due()
    live.plan_changed(TEAM, CHANNEL)

    clock.advance(seconds=4)
    assert live.flush_due() == 0
    clock.advance(seconds=1)
    assert live.flush_due() == 1
