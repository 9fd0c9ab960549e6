"""Several workers on one outbox: each row is claimed and sent by one worker only."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.playground.standin import SlackStandIn
from reminders.delivery import Deliverer, DeliverySettings
from storage import outbox
from storage.db import make_engine, make_session_factory
from storage.outbox import OutboxStatus
from tests.conftest import FIXED_NOW, FakeClock
from tests.reminders.delivery_support import (
    client_for,
    compose_from_payload,
    enqueue,
    make_room,
    posted_keys,
    rows,
)

LEASE = timedelta(minutes=5)
WORKERS = 2


def separate_sessions(database_url, count):
    """Session factories on engines of their own, so each worker has its own connections."""
    engines = [make_engine(database_url) for _ in range(count)]
    return engines, [make_session_factory(engine) for engine in engines]


def test_two_workers_claim_disjoint_rows(sessions, database_url):
    room_id = make_room(sessions)
    for number in range(120):
        enqueue(sessions, room_id, f"k{number}")
    engines, factories = separate_sessions(database_url, WORKERS)
    start = threading.Barrier(WORKERS)

    def drain(worker: int) -> list[str]:
        start.wait(timeout=30)
        keys: list[str] = []
        while True:
            with factories[worker].begin() as session:
                claimed = outbox.claim(
                    session, worker_id=f"w{worker}", now=FIXED_NOW, limit=7, lease=LEASE
                )
            if not claimed:
                return keys
            keys.extend(item.dedupe_key for item in claimed)

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            claimed_by_worker = list(pool.map(drain, range(WORKERS)))
    finally:
        for engine in engines:
            engine.dispose()

    every_claim = Counter(key for keys in claimed_by_worker for key in keys)
    assert len(every_claim) == 120
    assert max(every_claim.values()) == 1
    assert all(stored.status is OutboxStatus.SENDING for stored in rows(sessions))


@pytest.mark.postgres
def test_skip_locked_claim_does_not_wait(sessions, database_url, database_backend):
    if database_backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite claims under its write lock")
    room_id = make_room(sessions)
    for number in range(10):
        enqueue(sessions, room_id, f"k{number}")
    engines, (first, second) = separate_sessions(database_url, WORKERS)

    try:
        with first.begin() as holding:
            held = outbox.claim(holding, worker_id="w1", now=FIXED_NOW, limit=4, lease=LEASE)
            # w1's transaction is still open, so its rows stay locked. A claim that
            # waited on those locks would fail here after one second.
            with second.begin() as session:
                session.execute(text("SET LOCAL lock_timeout = '1s'"))
                other = outbox.claim(session, worker_id="w2", now=FIXED_NOW, limit=10, lease=LEASE)
    finally:
        for engine in engines:
            engine.dispose()

    held_keys = {item.dedupe_key for item in held}
    other_keys = {item.dedupe_key for item in other}
    assert len(held_keys) == 4
    assert len(other_keys) == 6
    assert held_keys.isdisjoint(other_keys)


def test_two_deliverers_send_each_message_once(sessions, database_url):
    channels = [f"C0DEAL{number}" for number in range(3)]
    room_ids = [make_room(sessions, channel) for channel in channels]
    for number in range(60):
        index = number % len(channels)
        enqueue(sessions, room_ids[index], f"k{number}", destination=channels[index])
    # No pacing, and small batches, so the two workers interleave their claims.
    settings = DeliverySettings(interval=timedelta(0), batch_size=3, max_held=6)
    engines, factories = separate_sessions(database_url, WORKERS)
    start = threading.Barrier(WORKERS)

    with SlackStandIn() as slack:
        for channel in channels:
            slack.add_channel(channel, channel.lower())

        def deliver(worker: int):
            deliverer = Deliverer(
                factories[worker],
                client_for(slack),
                compose_from_payload,
                FakeClock(),
                worker_id=f"w{worker}",
                settings=settings,
            )
            start.wait(timeout=30)
            return deliverer.deliver_due()

        try:
            with ThreadPoolExecutor(WORKERS) as pool:
                reports = list(pool.map(deliver, range(WORKERS)))
        finally:
            for engine in engines:
                engine.dispose()
        posted = [key for channel in channels for key in posted_keys(slack, channel)]

    assert sum(report.sent for report in reports) == 60
    assert sorted(posted) == sorted(f"k{number}" for number in range(60))
    assert len(posted) == len(set(posted))
    assert all(stored.status is OutboxStatus.SENT for stored in rows(sessions))
