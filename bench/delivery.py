"""Delivery of nudges across many channels through the Slack stand-in, paced per channel.

Run with `python -m bench.delivery` (about 30 s with the defaults). Each run
enqueues `--per-channel` messages for each of `--channels` deal rooms, room by
room as a planner would, and delivers them with one Deliverer through the
stand-in, which responds 429 past one chat.postMessage a second per channel.
It reports the wall time of the whole `deliver_due` call and the span from
the first post's response to the last one's, against the lower bound that limit
allows, `(per_channel - 1)` seconds, and the 429s per channel.

This bench really waits, because the limit is one message a second of real
time. Use fewer messages per channel for a shorter run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.plan import Message
from bot.playground.standin import SlackStandIn
from reminders.delivery import Deliverer
from storage import outbox, plans
from storage.db import make_engine, make_session_factory, upgrade
from storage.outbox import OutboxItem

TEAM = "T0HOME"
# Keeps the rooms and dedupe keys of this invocation apart from earlier ones
# in a database given with --database.
RUN_PREFIX = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class RunResult:
    # The whole deliver_due call, claims and database writes included.
    seconds: float
    # From the response to the first successful post to the response to the last.
    posting_seconds: float
    lower_bound: float
    sent: int
    rate_limited_by_channel: dict[str, int]

    @property
    def over_bound(self) -> float:
        """How far above the lower bound the run was, as a fraction of it."""
        return self.seconds / self.lower_bound - 1 if self.lower_bound else 0.0


class RecordingClient(WebClient):
    """A WebClient that records when each chat.postMessage got its response.

    The Deliverer works on a shallow copy of its client, which shares this list.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.response_times: list[float] = []

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        response = super().chat_postMessage(**kwargs)
        self.response_times.append(time.perf_counter())
        return response


def compose_text(session: Session, item: OutboxItem, now: datetime) -> Message | None:
    text = str(item.payload["text"])
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return Message(text=text, blocks=[block])


def channel_ids(count: int) -> list[str]:
    return [f"C0BENCH{number:04d}" for number in range(count)]


def fill_outbox(
    sessions: sessionmaker[Session], run: int, channels: list[str], per_channel: int
) -> None:
    """Add a room per channel with its messages; `run` keeps runs apart in one database."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for channel in channels:
            room = plans.create_room(
                session,
                team_id=f"{TEAM}{RUN_PREFIX}{run}",
                channel_id=channel,
                deal_name=channel,
                actor="U0",
                now=now,
            )
            for number in range(per_channel):
                outbox.enqueue(
                    session,
                    dedupe_key=f"bench:{RUN_PREFIX}:{run}:{channel}:{number}",
                    room_id=room.id,
                    destination=channel,
                    kind="nudge",
                    payload={"text": f"Nudge {number} for {channel}"},
                    not_before=now,
                    now=now,
                )


def run_once(database_url: str, run: int, channels_count: int, per_channel: int) -> RunResult:
    channels = channel_ids(channels_count)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        fill_outbox(sessions, run, channels, per_channel)
        with SlackStandIn(team_id=TEAM) as slack:
            for channel in channels:
                slack.add_channel(channel, channel.lower())
            slack.set_rate_limit(1)
            client = RecordingClient(token=slack.bot_token, base_url=slack.api_url)
            deliverer = Deliverer(
                sessions, client, compose_text, lambda: datetime.now(UTC), sleep=time.sleep
            )
            started = time.perf_counter()
            report = deliverer.deliver_due()
            seconds = time.perf_counter() - started
            posts = Counter(call["channel"] for call in slack.calls_to("chat.postMessage"))
            stored = {channel: len(slack.messages(channel)) for channel in channels}
    finally:
        engine.dispose()
    rejected = {channel: posts[channel] - stored[channel] for channel in channels}
    return RunResult(
        seconds=seconds,
        posting_seconds=max(client.response_times) - min(client.response_times),
        lower_bound=float(per_channel - 1),
        sent=report.sent,
        rate_limited_by_channel=rejected,
    )


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=100, help="deal rooms (default 100)")
    parser.add_argument(
        "--per-channel", type=int, default=10, help="messages per channel (default 10)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is reported")
    parser.add_argument(
        "--database",
        help="database URL to add the bench's rooms and messages to "
        "(default: a new SQLite file per run)",
    )
    args = parser.parse_args()

    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            url = args.database or f"sqlite:///{Path(folder) / 'bench.db'}"
            result = run_once(url, run, args.channels, args.per_channel)
        limited = sum(result.rate_limited_by_channel.values())
        print(
            f"run {run + 1}: {result.sent} sent in {result.seconds:.2f} s "
            f"(lower bound {result.lower_bound:.0f} s, {100 * result.over_bound:+.1f}%), "
            f"first to last post {result.posting_seconds:.2f} s, {limited} 429s"
        )
        results.append(result)

    median = statistics.median(result.seconds for result in results)
    median_posting = statistics.median(result.posting_seconds for result in results)
    worst_channel = max(max(r.rate_limited_by_channel.values()) for r in results)
    print(f"machine: {machine()}")
    print(
        f"{args.channels} channels x {args.per_channel} messages: median {median:.2f} s, "
        f"lower bound {results[0].lower_bound:.0f} s, "
        f"{100 * (median / results[0].lower_bound - 1):+.1f}%; "
        f"first to last post {median_posting:.2f} s; "
        f"most 429s in one channel in any run: {worst_channel}"
    )


if __name__ == "__main__":
    main()
