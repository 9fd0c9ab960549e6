"""The outbox store: dedupe, claims, leases, marks and blocked destinations."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import outbox
from storage.models import DealRoom
from storage.outbox import OutboxStatus
from tests.conftest import FIXED_NOW
from tests.reminders.delivery_support import CHANNEL, enqueue, make_room, row, rows

LEASE = timedelta(minutes=5)


def claim(sessions, worker="w1", now=FIXED_NOW, limit=10):
    with sessions.begin() as session:
        return outbox.claim(session, worker_id=worker, now=now, limit=limit, lease=LEASE)


def test_enqueue_same_key_twice_adds_one_row(sessions):
    room_id = make_room(sessions)

    first = enqueue(sessions, room_id, "nudge:1:2026-12-04")
    second = enqueue(sessions, room_id, "nudge:1:2026-12-04", text="Different text")

    assert first is True
    assert second is False
    stored = rows(sessions)
    assert len(stored) == 1
    assert stored[0].payload == {"text": "Message nudge:1:2026-12-04"}
    assert stored[0].status is OutboxStatus.PENDING


def test_claim_takes_due_rows_only(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "due")
    enqueue(sessions, room_id, "later", not_before=FIXED_NOW + timedelta(hours=1))

    claimed = claim(sessions)

    assert [item.dedupe_key for item in claimed] == ["due"]
    assert claimed[0].attempts == 1
    assert claimed[0].in_doubt is False
    stored = row(sessions, "due")
    assert stored.status is OutboxStatus.SENDING
    assert stored.claimed_by == "w1"
    assert stored.claimed_at == FIXED_NOW
    assert row(sessions, "later").status is OutboxStatus.PENDING


def test_claim_orders_by_not_before_and_respects_limit(sessions):
    room_id = make_room(sessions)
    for minutes in (3, 1, 2):
        enqueue(sessions, room_id, f"k{minutes}", not_before=FIXED_NOW - timedelta(minutes=minutes))

    claimed = claim(sessions, limit=2)

    assert [item.dedupe_key for item in claimed] == ["k3", "k2"]


def test_claim_rejects_limit_below_one(sessions):
    with sessions.begin() as session, pytest.raises(ValueError, match="limit must be at least 1"):
        outbox.claim(session, worker_id="w1", now=FIXED_NOW, limit=0, lease=LEASE)


def test_claimed_row_waits_for_lease_expiry(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "k")
    claim(sessions, worker="dead")

    within_lease = claim(sessions, worker="w2", now=FIXED_NOW + LEASE)
    after_lease = claim(sessions, worker="w2", now=FIXED_NOW + LEASE + timedelta(seconds=1))

    assert within_lease == []
    assert [item.dedupe_key for item in after_lease] == ["k"]
    assert after_lease[0].in_doubt is True
    assert after_lease[0].attempts == 2
    assert row(sessions, "k").claimed_by == "w2"


def test_marks_after_lost_claim_do_nothing(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "k")
    [item] = claim(sessions, worker="slow")
    claim(sessions, worker="w2", now=FIXED_NOW + LEASE + timedelta(seconds=1))

    with sessions.begin() as session:
        renewed = outbox.renew(session, item.id, worker_id="slow", now=FIXED_NOW)
        sent = outbox.mark_sent(
            session, item.id, worker_id="slow", message_ts="1.000100", now=FIXED_NOW
        )
        failed = outbox.mark_failed(session, item.id, worker_id="slow", reason="channel_not_found")

    assert renewed is False
    assert sent is False
    assert failed is False
    stored = row(sessions, "k")
    assert stored.status is OutboxStatus.SENDING
    assert stored.claimed_by == "w2"
    assert stored.message_ts is None


def test_mark_sent_records_ts_and_time(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "k")
    [item] = claim(sessions)
    sent_at = FIXED_NOW + timedelta(seconds=2)

    with sessions.begin() as session:
        marked = outbox.mark_sent(
            session, item.id, worker_id="w1", message_ts="1796419685.000100", now=sent_at
        )

    assert marked is True
    stored = row(sessions, "k")
    assert stored.status is OutboxStatus.SENT
    assert stored.message_ts == "1796419685.000100"
    assert stored.sent_at == sent_at
    assert claim(sessions, now=FIXED_NOW + timedelta(days=1)) == []


def test_mark_retry_waits_and_keeps_doubt(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "k")
    [item] = claim(sessions)
    retry_at = FIXED_NOW + timedelta(seconds=30)

    with sessions.begin() as session:
        outbox.mark_retry(
            session,
            item.id,
            worker_id="w1",
            next_attempt_at=retry_at,
            reason="http_500",
            in_doubt=True,
        )

    stored = row(sessions, "k")
    assert stored.status is OutboxStatus.PENDING
    assert stored.error == "http_500"
    assert stored.claimed_by is None
    assert claim(sessions, now=retry_at - timedelta(seconds=1)) == []
    [again] = claim(sessions, now=retry_at)
    assert again.in_doubt is True
    assert again.attempts == 2


def test_release_hands_rows_back_uncounted(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "a")
    enqueue(sessions, room_id, "b")
    claimed = claim(sessions)

    with sessions.begin() as session:
        released = outbox.release(session, [item.id for item in claimed], worker_id="w1")

    assert released == 2
    for key in ("a", "b"):
        stored = row(sessions, key)
        assert stored.status is OutboxStatus.PENDING
        assert stored.attempts == 0
        assert stored.claimed_by is None


def test_cancel_without_worker_needs_pending_row(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "pending")
    enqueue(sessions, room_id, "claimed", not_before=FIXED_NOW - timedelta(minutes=1))
    [claimed] = claim(sessions, limit=1)

    with sessions.begin() as session:
        cancelled_pending = outbox.mark_cancelled(session, row(sessions, "pending").id)
        cancelled_claimed = outbox.mark_cancelled(session, claimed.id)

    assert cancelled_pending is True
    assert cancelled_claimed is False
    assert row(sessions, "pending").status is OutboxStatus.CANCELLED
    assert row(sessions, "claimed").status is OutboxStatus.SENDING


def test_blocked_destination_fails_pending_rows(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "to-channel")
    enqueue(sessions, room_id, "to-user", destination="U0BUYER")

    with sessions.begin() as session:
        outbox.block_destination(
            session, room_id=room_id, destination=CHANNEL, reason="is_archived", now=FIXED_NOW
        )
        outbox.block_destination(
            session, room_id=room_id, destination=CHANNEL, reason="later_reason", now=FIXED_NOW
        )
        failed = outbox.fail_blocked(session)
        blocked = outbox.blocked_destinations(session, room_id)

    assert failed == 1
    assert blocked == {CHANNEL: "is_archived"}
    assert row(sessions, "to-channel").status is OutboxStatus.FAILED
    assert row(sessions, "to-channel").error == outbox.DESTINATION_BLOCKED
    assert row(sessions, "to-user").status is OutboxStatus.PENDING


def test_unblock_room_lifts_every_block(sessions):
    room_id = make_room(sessions)
    with sessions.begin() as session:
        for destination in (CHANNEL, "U0BUYER"):
            outbox.block_destination(
                session, room_id=room_id, destination=destination, reason="x", now=FIXED_NOW
            )

    with sessions.begin() as session:
        lifted = outbox.unblock_channel(session, "T0HOME", CHANNEL)
        lifted_again = outbox.unblock_room(session, room_id)
        remaining = outbox.blocked_destinations(session, room_id)

    assert lifted == 2
    assert lifted_again == 0
    assert remaining == {}


def test_unblock_channel_of_no_room_is_zero(sessions):
    with sessions.begin() as session:
        assert outbox.unblock_channel(session, "T0HOME", "C0NOTAROOM") == 0


def test_count_by_status_lists_every_status(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "a")
    enqueue(sessions, room_id, "b")
    claim(sessions, limit=1)

    with sessions.begin() as session:
        counts = outbox.count_by_status(session)

    assert counts[OutboxStatus.PENDING] == 1
    assert counts[OutboxStatus.SENDING] == 1
    assert counts[OutboxStatus.SENT] == 0
    assert set(counts) == set(OutboxStatus)


def test_list_due_does_not_claim(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "k")

    with sessions.begin() as session:
        due = outbox.list_due(session, now=FIXED_NOW, lease=LEASE)

    assert [item.dedupe_key for item in due] == ["k"]
    assert row(sessions, "k").status is OutboxStatus.PENDING


def test_deleting_room_deletes_its_outbox(sessions):
    room_id = make_room(sessions)
    enqueue(sessions, room_id, "k")
    with sessions.begin() as session:
        outbox.block_destination(
            session, room_id=room_id, destination=CHANNEL, reason="x", now=FIXED_NOW
        )

    with sessions.begin() as session:
        session.delete(session.scalars(select(DealRoom)).one())

    assert rows(sessions) == []
    with sessions.begin() as session:
        assert outbox.blocked_destinations(session, room_id) == {}
