"""Delivery through the Slack stand-in: posting, pacing, retries, blocks and doubt."""

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.playground.standin import SlackStandIn
from reminders.delivery import Deliverer, DeliverySettings
from reminders.delivery_slack import METADATA_EVENT_TYPE
from storage import outbox
from storage.outbox import OutboxStatus
from tests.conftest import FIXED_NOW
from tests.reminders.delivery_support import (
    CHANNEL,
    OTHER_CHANNEL,
    FakeSleep,
    client_for,
    compose_from_payload,
    enqueue,
    make_room,
    posted_keys,
    row,
    standin_clock,
)

SETTINGS = DeliverySettings()


@pytest.fixture
def slack(clock) -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=standin_clock(clock)) as standin:
        standin.add_channel(CHANNEL, "deal-acme")
        standin.add_channel(OTHER_CHANNEL, "deal-globex")
        standin.add_user("U0BUYER", standin.team_id, "buyer")
        standin.set_rate_limit(1)
        yield standin


@pytest.fixture
def sleep(clock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def deliverer(sessions, slack, clock, sleep) -> Deliverer:
    return Deliverer(
        sessions, client_for(slack), compose_from_payload, clock, sleep=sleep, worker_id="w1"
    )


@pytest.fixture
def room_id(sessions) -> int:
    return make_room(sessions)


def test_delivery_posts_with_dedupe_metadata(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "nudge:7:2026-12-04", text="Task #7 is due today")

    report = deliverer.deliver_due()

    assert report.sent == 1
    [message] = slack.messages(CHANNEL)
    assert message["text"] == "Task #7 is due today"
    assert message["metadata"] == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"dedupe_key": "nudge:7:2026-12-04"},
    }
    stored = row(sessions, "nudge:7:2026-12-04")
    assert stored.status is OutboxStatus.SENT
    assert stored.message_ts == message["ts"]


def test_delivery_skips_rows_not_yet_due(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "later", not_before=FIXED_NOW + timedelta(minutes=1))

    report = deliverer.deliver_due()

    assert report.claimed == 0
    assert slack.messages(CHANNEL) == []


def test_compose_none_cancels_row(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "completed-meanwhile", text="")

    report = deliverer.deliver_due()

    assert report.cancelled == 1
    assert slack.calls_to("chat.postMessage") == []
    assert row(sessions, "completed-meanwhile").status is OutboxStatus.CANCELLED


def test_compose_error_fails_row_and_continues(sessions, slack, clock, sleep, room_id):
    def compose(session, item, now):
        if item.dedupe_key == "broken":
            raise RuntimeError("renderer bug")
        return compose_from_payload(session, item, now)

    enqueue(sessions, room_id, "broken", not_before=FIXED_NOW - timedelta(seconds=1))
    enqueue(sessions, room_id, "fine")
    deliverer = Deliverer(sessions, client_for(slack), compose, clock, sleep=sleep, worker_id="w1")

    report = deliverer.deliver_due()

    assert report.failed == 1
    assert report.sent == 1
    assert row(sessions, "broken").status is OutboxStatus.FAILED
    assert row(sessions, "broken").error == "compose_failed"
    assert posted_keys(slack, CHANNEL) == ["fine"]


def test_pacing_one_message_a_second_per_channel(sessions, slack, deliverer, clock, room_id):
    other_room = make_room(sessions, OTHER_CHANNEL)
    for number in range(3):
        enqueue(sessions, room_id, f"deal-{number}")
    enqueue(sessions, other_room, "other-0", destination=OTHER_CHANNEL)

    report = deliverer.deliver_due()

    assert report.sent == 4
    assert report.rate_limited == 0
    assert posted_keys(slack, CHANNEL) == ["deal-0", "deal-1", "deal-2"]
    assert posted_keys(slack, OTHER_CHANNEL) == ["other-0"]
    times = [float(message["ts"]) for message in slack.messages(CHANNEL)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    # The other channel does not wait behind the first one.
    assert float(slack.messages(OTHER_CHANNEL)[0]["ts"]) < times[1]
    assert clock() - FIXED_NOW == timedelta(seconds=2)


def test_pacing_carries_over_to_next_run(sessions, slack, deliverer, sleep, room_id):
    enqueue(sessions, room_id, "first")
    deliverer.deliver_due()
    enqueue(sessions, room_id, "second")

    report = deliverer.deliver_due()

    assert report.sent == 1
    assert report.rate_limited == 0
    assert sleep.calls == [1.0]


def test_429_waits_for_retry_after_then_sends_once(sessions, slack, deliverer, sleep, room_id):
    enqueue(sessions, room_id, "k")
    slack.fail_next("chat.postMessage", status=429, retry_after=7)

    report = deliverer.deliver_due()

    assert report.rate_limited == 1
    assert report.sent == 1
    assert sleep.calls == [7.0]
    assert posted_keys(slack, CHANNEL) == ["k"]
    assert row(sessions, "k").attempts == 1


def test_long_retry_after_puts_rows_back(sessions, slack, deliverer, clock, room_id):
    enqueue(sessions, room_id, "a")
    enqueue(sessions, room_id, "b")
    slack.fail_next("chat.postMessage", status=429, retry_after=120)

    report = deliverer.deliver_due()

    assert report.retried == 2
    assert slack.messages(CHANNEL) == []
    for key in ("a", "b"):
        stored = row(sessions, key)
        assert stored.status is OutboxStatus.PENDING
        assert stored.not_before == FIXED_NOW + timedelta(seconds=120)


def test_500_then_success_sends_once(sessions, slack, deliverer, clock, room_id):
    enqueue(sessions, room_id, "k")
    slack.fail_next("chat.postMessage", status=500)

    first = deliverer.deliver_due()
    stored = row(sessions, "k")
    clock.advance(seconds=5)
    second = deliverer.deliver_due()

    assert first.retried == 1
    assert stored.status is OutboxStatus.PENDING
    assert stored.in_doubt is True
    assert stored.error == "http_500"
    assert stored.not_before == FIXED_NOW + SETTINGS.backoff_base
    assert second.sent == 1
    # The 500 may have come after Slack stored the message, so history is checked first.
    assert len(slack.calls_to("conversations.history")) == 1
    assert posted_keys(slack, CHANNEL) == ["k"]
    assert row(sessions, "k").status is OutboxStatus.SENT


def test_backoff_doubles_and_gives_up(sessions, slack, clock, sleep, room_id):
    settings = DeliverySettings(max_attempts=3)
    deliverer = Deliverer(
        sessions,
        client_for(slack),
        compose_from_payload,
        clock,
        sleep=sleep,
        worker_id="w1",
        settings=settings,
    )
    enqueue(sessions, room_id, "k")
    slack.fail_next("chat.postMessage", status=503, count=3)

    delays = []
    for _ in range(3):
        deliverer.deliver_due()
        stored = row(sessions, "k")
        delays.append(stored.not_before - clock())
        clock.advance(seconds=3600)

    assert delays[:2] == [timedelta(seconds=5), timedelta(seconds=10)]
    assert stored.status is OutboxStatus.FAILED
    assert stored.error == "http_503"
    assert slack.messages(CHANNEL) == []


@pytest.mark.parametrize(
    ("break_destination", "reason"),
    [
        (
            lambda slack: slack.fail_next("chat.postMessage", error="channel_not_found"),
            "channel_not_found",
        ),
        (lambda slack: slack.archive_channel(CHANNEL), "is_archived"),
        (lambda slack: slack.set_bot_member(CHANNEL, False), "not_in_channel"),
    ],
    ids=["channel_not_found", "is_archived", "not_in_channel"],
)
def test_permanent_error_blocks_destination(
    sessions, slack, deliverer, room_id, break_destination, reason
):
    enqueue(sessions, room_id, "a")
    enqueue(sessions, room_id, "b")
    break_destination(slack)

    report = deliverer.deliver_due()

    assert report.blocked == [(room_id, CHANNEL, reason)]
    assert row(sessions, "a").status is OutboxStatus.FAILED
    assert row(sessions, "a").error == reason
    assert row(sessions, "b").error == outbox.DESTINATION_BLOCKED
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_blocked_destination_stays_blocked_until_unblocked(
    sessions, slack, deliverer, clock, room_id
):
    enqueue(sessions, room_id, "first")
    slack.fail_next("chat.postMessage", error="channel_not_found")
    deliverer.deliver_due()

    clock.advance(minutes=10)
    enqueue(sessions, room_id, "while-blocked", now=clock())
    blocked_run = deliverer.deliver_due()
    with sessions.begin() as session:
        outbox.unblock_room(session, room_id)
    enqueue(sessions, room_id, "after-unblock", now=clock())
    unblocked_run = deliverer.deliver_due()

    assert blocked_run.claimed == 0
    assert row(sessions, "while-blocked").status is OutboxStatus.FAILED
    assert row(sessions, "while-blocked").error == outbox.DESTINATION_BLOCKED
    assert unblocked_run.sent == 1
    assert posted_keys(slack, CHANNEL) == ["after-unblock"]


def test_block_spares_other_destinations(sessions, slack, deliverer, room_id):
    other_room = make_room(sessions, OTHER_CHANNEL)
    enqueue(sessions, room_id, "blocked")
    enqueue(sessions, other_room, "fine", destination=OTHER_CHANNEL)
    slack.archive_channel(CHANNEL)

    report = deliverer.deliver_due()

    assert report.sent == 1
    assert posted_keys(slack, OTHER_CHANNEL) == ["fine"]


def test_message_error_fails_row_only(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "bad")
    enqueue(sessions, room_id, "good")
    slack.fail_next("chat.postMessage", error="invalid_blocks")

    report = deliverer.deliver_due()

    assert row(sessions, "bad").status is OutboxStatus.FAILED
    assert row(sessions, "bad").error == "invalid_blocks"
    assert report.blocked == []
    assert posted_keys(slack, CHANNEL) == ["good"]


def test_token_error_stops_and_releases(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "a")
    enqueue(sessions, room_id, "b")
    slack.fail_next("chat.postMessage", error="invalid_auth")

    report = deliverer.deliver_due()

    assert report.stopped_by == "invalid_auth"
    assert report.released == 2
    assert len(slack.calls_to("chat.postMessage")) == 1
    for key in ("a", "b"):
        stored = row(sessions, key)
        assert stored.status is OutboxStatus.PENDING
        assert stored.attempts == 0


def post_as_dead_worker(slack, channel, key):
    """Post as a worker that died before marking its row: the message is in Slack."""
    client = client_for(slack)
    response = client.chat_postMessage(
        channel=channel,
        text=f"Message {key}",
        metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"dedupe_key": key}},
    )
    return response["ts"]


def claim_as_dead_worker(sessions):
    with sessions.begin() as session:
        return outbox.claim(
            session, worker_id="dead", now=FIXED_NOW, limit=10, lease=SETTINGS.lease
        )


def test_in_doubt_found_in_history_not_resent(sessions, slack, deliverer, clock, room_id):
    enqueue(sessions, room_id, "k")
    claim_as_dead_worker(sessions)
    ts = post_as_dead_worker(slack, CHANNEL, "k")
    slack.add_message(CHANNEL, "U0BUYER", "A person wrote in between")
    clock.advance(seconds=SETTINGS.lease.total_seconds() + 1)

    report = deliverer.deliver_due()

    assert report.found_in_history == 1
    assert report.sent == 0
    assert posted_keys(slack, CHANNEL) == ["k"]
    stored = row(sessions, "k")
    assert stored.status is OutboxStatus.SENT
    assert stored.message_ts == ts
    [history_call] = slack.calls_to("conversations.history")
    assert history_call["include_all_metadata"] in ("1", "true", True)


def test_in_doubt_row_missing_from_history_is_sent(sessions, slack, deliverer, clock, room_id):
    enqueue(sessions, room_id, "k")
    post_as_dead_worker(slack, CHANNEL, "another-key")
    claim_as_dead_worker(sessions)
    clock.advance(seconds=SETTINGS.lease.total_seconds() + 1)

    report = deliverer.deliver_due()

    assert report.found_in_history == 0
    assert report.sent == 1
    assert posted_keys(slack, CHANNEL) == ["another-key", "k"]


def test_direct_message_goes_to_user(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "dm", destination="U0BUYER")

    report = deliverer.deliver_due()

    assert report.sent == 1
    [call] = slack.calls_to("chat.postMessage")
    assert call["channel"] == "U0BUYER"
    assert row(sessions, "dm").status is OutboxStatus.SENT


def test_in_doubt_direct_message_found_in_dm(sessions, slack, deliverer, clock, room_id):
    enqueue(sessions, room_id, "dm", destination="U0BUYER")
    claim_as_dead_worker(sessions)
    ts = post_as_dead_worker(slack, "U0BUYER", "dm")
    clock.advance(seconds=SETTINGS.lease.total_seconds() + 1)

    report = deliverer.deliver_due()

    assert report.found_in_history == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.calls_to("conversations.open") == [{"users": "U0BUYER"}]
    assert row(sessions, "dm").message_ts == ts


def test_unknown_user_blocks_dm_destination(sessions, slack, deliverer, room_id):
    enqueue(sessions, room_id, "dm", destination="U0GONE")
    slack.fail_next("chat.postMessage", error="user_not_found")

    report = deliverer.deliver_due()

    assert report.blocked == [(room_id, "U0GONE", "user_not_found")]


class TimingOutClient(WebClient):
    """A client whose chat.postMessage times out, as a dropped connection would."""

    def chat_postMessage(self, **kwargs):
        raise TimeoutError("The read operation timed out")


def test_timeout_retries_in_doubt(sessions, slack, clock, sleep, room_id):
    client = TimingOutClient(token=slack.bot_token, base_url=slack.api_url)
    deliverer = Deliverer(sessions, client, compose_from_payload, clock, sleep=sleep)
    enqueue(sessions, room_id, "k")

    report = deliverer.deliver_due()

    assert report.retried == 1
    stored = row(sessions, "k")
    assert stored.status is OutboxStatus.PENDING
    assert stored.error == "timeout"
    assert stored.in_doubt is True


def test_client_copy_has_no_retry_handlers(slack, sessions, clock):
    client = client_for(slack)

    deliverer = Deliverer(sessions, client, compose_from_payload, clock)

    assert deliverer.client.retry_handlers == []
    assert client.retry_handlers != []


def test_run_time_limit_releases_unsent_rows(sessions, slack, clock, sleep, room_id):
    settings = DeliverySettings(max_run_time=timedelta(seconds=2))
    deliverer = Deliverer(
        sessions,
        client_for(slack),
        compose_from_payload,
        clock,
        sleep=sleep,
        worker_id="w1",
        settings=settings,
    )
    for number in range(5):
        enqueue(sessions, room_id, f"k{number}")

    report = deliverer.deliver_due()

    assert report.sent == 3
    assert report.released == 2
    assert row(sessions, "k4").status is OutboxStatus.PENDING
    assert row(sessions, "k4").attempts == 0


def test_stop_event_ends_run_early(sessions, slack, clock, sleep, room_id):
    deliverer = Deliverer(sessions, client_for(slack), compose_from_payload, clock, sleep=sleep)
    enqueue(sessions, room_id, "k")
    deliverer.stop.set()

    report = deliverer.deliver_due()

    assert report.claimed == 0
    assert slack.messages(CHANNEL) == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"concurrency": 0}, "concurrency must be at least 1"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"lease": timedelta(minutes=1)}, "lease (0:01:00) must be longer than max_run_time"),
    ],
)
def test_settings_reject_invalid_values(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DeliverySettings(**settings)
