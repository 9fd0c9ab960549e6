"""A worker killed with SIGKILL in the middle of delivery loses no message and doubles none."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.playground.standin import ApiResponse, SlackStandIn
from reminders.delivery import DeliverySettings
from storage.outbox import OutboxStatus
from tests.conftest import FIXED_NOW
from tests.reminders.delivery_support import enqueue, make_room, posted_keys, row

REPOSITORY = Path(__file__).resolve().parents[2]
CHANNELS = ("C0DEAL1", "C0DEAL2", "C0DEAL3")
# Generous limit for a worker process to start and reach Slack. Nothing sleeps.
PROCESS_TIMEOUT_SECONDS = 60


class HoldingStandIn(SlackStandIn):
    """Holds the response to the Nth successful chat.postMessage until released.

    The message is already stored when the hold starts, as when Slack has
    posted a message but the worker dies before it reads the response.
    """

    def __init__(self, hold_post_number: int) -> None:
        super().__init__()
        self.hold_post_number = hold_post_number
        self.posts = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        self._count_lock = threading.Lock()

    def handle_api_request(self, method, params, token) -> ApiResponse:
        response = super().handle_api_request(method, params, token)
        if method != "chat.postMessage" or response.status != 200:
            return response
        with self._count_lock:
            self.posts += 1
            hold = self.posts == self.hold_post_number
        if hold:
            self.holding.set()
            self.release.wait(timeout=PROCESS_TIMEOUT_SECONDS)
        return response


def start_worker(slack, database_url, now, worker_id):
    command = [
        sys.executable,
        "-m",
        "tests.reminders.delivery_worker",
        "--database",
        database_url,
        "--slack-api-url",
        slack.api_url,
        "--token",
        slack.bot_token,
        "--now",
        now.isoformat(),
        "--worker-id",
        worker_id,
        # One send at a time, so the rows go out in a known order and the
        # kill lands between the same two of them on every run.
        "--concurrency",
        "1",
    ]
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.Popen(
        command,
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def slack():
    standin = HoldingStandIn(hold_post_number=2)
    with standin:
        for channel in CHANNELS:
            standin.add_channel(channel, channel.lower())
        yield standin
        standin.release.set()


def test_killed_worker_loses_and_doubles_nothing(sessions, engine, database_url, slack):
    for index, channel in enumerate(CHANNELS):
        room_id = make_room(sessions, channel)
        enqueue(sessions, room_id, f"k{index}", destination=channel)

    first = start_worker(slack, database_url, FIXED_NOW, "first")
    try:
        reached_hold = slack.holding.wait(timeout=PROCESS_TIMEOUT_SECONDS)
        assert reached_hold, first.stderr.read() if first.poll() is not None else "no hold"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=PROCESS_TIMEOUT_SECONDS)
    finally:
        if first.poll() is None:
            first.kill()
        slack.release.set()
    first.stdout.close()
    first.stderr.close()

    # The dead worker posted k0 and marked it, posted k1 without marking it,
    # and never reached k2.
    assert first.returncode == -signal.SIGKILL
    assert row(sessions, "k0").status is OutboxStatus.SENT
    assert row(sessions, "k1").status is OutboxStatus.SENDING
    assert row(sessions, "k2").status is OutboxStatus.SENDING
    assert posted_keys(slack, "C0DEAL2") == ["k1"]
    assert posted_keys(slack, "C0DEAL3") == []

    after_lease = FIXED_NOW + DeliverySettings().lease + DeliverySettings().interval
    second = start_worker(slack, database_url, after_lease, "second")
    stdout, stderr = second.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
    assert second.returncode == 0, stderr

    report = json.loads(stdout)
    assert report["found_in_history"] == 1
    assert report["sent"] == 1
    for index, channel in enumerate(CHANNELS):
        assert posted_keys(slack, channel) == [f"k{index}"]
    k1 = row(sessions, "k1")
    assert k1.status is OutboxStatus.SENT
    assert k1.message_ts == slack.messages("C0DEAL2")[0]["ts"]
    assert k1.attempts == 2
    assert row(sessions, "k2").status is OutboxStatus.SENT
