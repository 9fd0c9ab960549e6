import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from reminders.compose import NUDGE, SUMMARY
from reminders.planner import Planner, plan_due
from storage import outbox, plans, reminder_settings
from storage.models import DealRoom, NudgeDelivery, Status, Task
from tests.reminders.planning_support import (
    BUYER,
    CREATED,
    SELLER,
    add_task,
    make_room,
    nudge_log,
    outbox_rows,
    planned_items,
    room_state,
    sweep,
)

FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)
SUNDAY = 6


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def room_with_task(sessions, zone: str, due: date, **task) -> tuple[int, int]:
    with sessions.begin() as session:
        room = make_room(session, zone=zone)
        created = add_task(session, room, "Share SOC 2 report", due, **task)
        return room.id, created.id


def room_with_task_in(sessions, channel: str, due: date) -> tuple[int, int]:
    with sessions.begin() as session:
        room = make_room(session, channel=channel)
        created = add_task(session, room, "Share SOC 2 report", due)
        return room.id, created.id


def nudges_now(sessions) -> list[tuple[int, str]]:
    return [item for row in outbox_rows(sessions, NUDGE) for item in planned_items(row)]


def test_west_room_nudges_on_local_days(sessions):
    # Los Angeles is UTC-8 in December: 09:00 there is 17:00 UTC.
    _, task_id = room_with_task(sessions, "America/Los_Angeles", MONDAY)

    sweep(sessions, utc(FRIDAY, 16, 59))
    assert nudges_now(sessions) == []

    sweep(sessions, utc(FRIDAY, 17, 0))
    assert nudges_now(sessions) == [(task_id, "heads_up")]

    # Monday 16:59 UTC is still Monday 08:59 in Los Angeles.
    sweep(sessions, utc(MONDAY, 16, 59))
    assert len(nudges_now(sessions)) == 1
    sweep(sessions, utc(MONDAY, 17, 0))
    assert nudges_now(sessions)[-1] == (task_id, "due")

    sweep(sessions, utc(TUESDAY, 17, 0))
    assert nudges_now(sessions)[-1] == (task_id, "overdue")
    assert [kind for _, kind, _ in nudge_log(sessions)] == ["heads_up", "due", "overdue"]
    assert [day for _, _, day in nudge_log(sessions)] == [FRIDAY, MONDAY, TUESDAY]


def test_east_room_nudges_on_local_days(sessions):
    # Tokyo is UTC+9: Monday 09:00 there is Monday 00:00 UTC, and Sunday 23:59 UTC
    # is Monday 08:59 there.
    _, task_id = room_with_task(sessions, "Asia/Tokyo", MONDAY)

    sweep(sessions, utc(FRIDAY, 0, 0))
    assert nudges_now(sessions) == [(task_id, "heads_up")]

    sweep(sessions, datetime(2026, 12, 6, 23, 59, tzinfo=UTC))
    assert len(nudges_now(sessions)) == 1
    sweep(sessions, utc(MONDAY, 0, 0))
    assert nudges_now(sessions)[-1] == (task_id, "due")
    assert nudge_log(sessions)[-1] == (task_id, "due", MONDAY)


def test_weekend_sweeps_plan_nothing(sessions):
    room_with_task(sessions, "UTC", date(2026, 11, 30))  # overdue since Monday
    sweep(sessions, utc(FRIDAY, 9, 0))
    before = len(outbox_rows(sessions))
    saturday_start = datetime(2026, 12, 5, tzinfo=UTC)
    for step in range(16):
        sweep(sessions, saturday_start + timedelta(hours=3 * step))
    assert len(outbox_rows(sessions)) == before


def test_quiet_before_reminder_hour(sessions):
    room_id, task_id = room_with_task(sessions, "UTC", FRIDAY)
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        reminder_settings.set_reminder_time(session, room, time(10, 30), actor=SELLER, now=CREATED)
    thursday = date(2026, 12, 3)
    sweep(sessions, utc(thursday, 10, 30))
    assert nudges_now(sessions) == [(task_id, "heads_up")]
    sweep(sessions, utc(FRIDAY, 10, 29))
    assert len(nudges_now(sessions)) == 1
    sweep(sessions, utc(FRIDAY, 10, 30))
    assert nudges_now(sessions) == [(task_id, "heads_up"), (task_id, "due")]


def test_second_sweep_same_instant_plans_nothing(sessions):
    room_with_task(sessions, "UTC", FRIDAY)
    now = utc(FRIDAY, 9, 30)
    first = sweep(sessions, now)
    second = sweep(sessions, now)
    assert first.nudges == 1
    assert second.nudges == 0
    assert second.messages == []
    assert len(outbox_rows(sessions)) == 1


def test_schedule_moves_past_the_sweep(sessions):
    room_id, _ = room_with_task(sessions, "UTC", FRIDAY)
    sweep(sessions, utc(FRIDAY, 9, 30))
    state = room_state(sessions, room_id)
    assert state["planned_through"] == FRIDAY
    assert state["next_nudge_at"] == utc(MONDAY, 9, 0)
    # The first sweep also schedules the room's first weekly summary.
    assert state["next_summary_at"] == utc(MONDAY, 9, 0)


def test_grouped_into_one_message(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        first = add_task(session, room, "Share SOC 2 report", FRIDAY).id
        second = add_task(session, room, "Fill in questionnaire", FRIDAY, owner=BUYER).id
        third = add_task(session, room, "Send redlines", MONDAY, owner_name="Dana Whitfield")
        third_id = third.id
    sweep(sessions, utc(FRIDAY, 9, 0))
    rows = outbox_rows(sessions, NUDGE)
    assert len(rows) == 1
    assert rows[0].destination == "C0DEAL"
    assert sorted(planned_items(rows[0])) == sorted(
        [(first, "due"), (second, "due"), (third_id, "heads_up")]
    )


def test_direct_messages_group_per_owner(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        reminder_settings.set_nudge_delivery(
            session, room, NudgeDelivery.DM, actor=SELLER, now=utc(FRIDAY, 8, 0)
        )
        seller_tasks = [add_task(session, room, f"Seller task {n}", FRIDAY).id for n in (1, 2)]
        buyer_task = add_task(session, room, "Buyer task", FRIDAY, owner=BUYER).id
        contact_task = add_task(session, room, "Contact task", FRIDAY, owner_name="Dana").id
    sweep(sessions, utc(FRIDAY, 9, 0))
    by_destination = {row.destination: planned_items(row) for row in outbox_rows(sessions)}
    assert set(by_destination) == {SELLER, BUYER, "C0DEAL"}
    assert sorted(task for task, _ in by_destination[SELLER]) == sorted(seller_tasks)
    assert by_destination[BUYER] == [(buyer_task, "due")]
    # A buyer contact who is not in Slack cannot get a DM, so the channel gets theirs.
    assert by_destination["C0DEAL"] == [(contact_task, "due")]


def test_blocked_direct_messages_fall_back_to_channel(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        reminder_settings.set_nudge_delivery(
            session, room, NudgeDelivery.DM, actor=SELLER, now=CREATED
        )
        seller_task = add_task(session, room, "Seller task", FRIDAY).id
        buyer_task = add_task(session, room, "Buyer task", FRIDAY, owner=BUYER).id
        outbox.block_destination(
            session, room_id=room.id, destination=BUYER, reason="cannot_dm", now=CREATED
        )
    sweep(sessions, utc(FRIDAY, 9, 0))
    by_destination = {row.destination: planned_items(row) for row in outbox_rows(sessions)}
    assert by_destination == {
        SELLER: [(seller_task, "due")],
        "C0DEAL": [(buyer_task, "due")],
    }


def test_completed_and_undated_tasks_not_planned(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        done = add_task(session, room, "Done already", FRIDAY)
        plans.set_task_status(session, room, done, Status.COMPLETED, actor=SELLER, now=CREATED)
        add_task(session, room, "No due date", None)
    assert sweep(sessions, utc(FRIDAY, 9, 0)).nudges == 0


def test_snoozed_task_skipped_then_nudged(sessions):
    room_id, task_id = room_with_task(sessions, "UTC", date(2026, 11, 30))
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        task = session.get(Task, task_id)
        reminder_settings.snooze_task(
            session, room, task, TUESDAY, actor=SELLER, now=utc(FRIDAY, 8, 0)
        )
    sweep(sessions, utc(FRIDAY, 9, 0))
    sweep(sessions, utc(MONDAY, 9, 0))
    assert nudges_now(sessions) == []
    sweep(sessions, utc(TUESDAY, 9, 0))
    assert nudges_now(sessions) == [(task_id, "snooze_ended")]


def test_downtime_sends_latest_nudge_once(sessions):
    room_id, task_id = room_with_task(sessions, "UTC", MONDAY)
    sweep(sessions, utc(FRIDAY, 9, 0))
    assert nudges_now(sessions) == [(task_id, "heads_up")]
    # Down from Friday until Wednesday noon: Monday's and Tuesday's nudges were missed.
    report = sweep(sessions, utc(WEDNESDAY, 12, 0))
    assert report.nudges == 1
    assert nudges_now(sessions) == [(task_id, "heads_up"), (task_id, "overdue")]
    assert nudge_log(sessions)[-1] == (task_id, "overdue", TUESDAY)
    assert room_state(sessions, room_id)["planned_through"] == WEDNESDAY


def test_nudges_off_plans_nothing_and_on_resumes_today(sessions):
    room_id, task_id = room_with_task(sessions, "UTC", FRIDAY)
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        reminder_settings.set_nudges_enabled(session, room, False, actor=SELLER, now=CREATED)
    sweep(sessions, utc(FRIDAY, 9, 0))
    assert nudges_now(sessions) == []
    assert room_state(sessions, room_id)["planned_through"] == FRIDAY

    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        reminder_settings.set_nudges_enabled(
            session, room, True, actor=SELLER, now=utc(FRIDAY, 11, 0)
        )
    sweep(sessions, utc(FRIDAY, 11, 0))
    assert nudges_now(sessions) == [(task_id, "due")]


def test_batches_cover_every_room(sessions):
    with sessions.begin() as session:
        for number in range(7):
            room = make_room(session, channel=f"C0ROOM{number}")
            add_task(session, room, "Share SOC 2 report", FRIDAY)
    report = sweep(sessions, utc(FRIDAY, 9, 0), batch_size=3)
    assert report.rooms_for_nudges == 7
    assert report.nudges == 7
    assert len({row.room_id for row in outbox_rows(sessions)}) == 7


def test_dedupe_key_blocks_double_planning(sessions):
    room_with_task(sessions, "UTC", FRIDAY)
    now = utc(FRIDAY, 9, 0)
    with sessions.begin() as session:
        first = plan_due(session, now, limit=None)
        # Reset the room's schedule by hand, so only the nudge log and the dedupe key
        # stand between this sweep and a second message.
        room = session.scalars(select(DealRoom)).one()
        room.next_nudge_at = now
        room.nudges_planned_through = None
        second = plan_due(session, now, limit=None)
    assert first.nudges == 1
    assert second.nudges == 0
    assert len(outbox_rows(sessions)) == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [("timezone", "Mars/Olympus_Mons"), ("overdue_steps", "3,1"), ("workday_mask", 0)],
)
def test_invalid_settings_skip_room(sessions, column, value):
    # Settings are validated when written, so only a database edit gets here.
    room_id, _ = room_with_task(sessions, "UTC", FRIDAY)
    other_id, _ = room_with_task_in(sessions, "C0OTHER", FRIDAY)
    with sessions.begin() as session:
        setattr(session.get(DealRoom, room_id), column, value)
    report = Planner(sessions).sweep(utc(FRIDAY, 9, 0))
    assert report.nudges == 1
    assert {row.room_id for row in outbox_rows(sessions)} == {other_id}
    assert room_state(sessions, room_id)["next_nudge_at"] == utc(FRIDAY, 10, 0)


def test_invalid_summary_day_skips_summary(sessions):
    room_id, _ = room_with_task(sessions, "UTC", date(2027, 1, 10))
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        room.summary_weekday = 9
        room.next_summary_at = CREATED
    report = Planner(sessions).sweep(utc(FRIDAY, 9, 0))
    assert report.summaries == 0
    assert room_state(sessions, room_id)["next_summary_at"] == utc(FRIDAY, 10, 0)


def test_summary_planned_once_when_due(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_task(session, room, "Share SOC 2 report", date(2027, 1, 10))
        empty = make_room(session, channel="C0EMPTY")
        off = make_room(session, channel="C0OFF")
        add_task(session, off, "Share SOC 2 report", date(2027, 1, 10))
        reminder_settings.set_summary(session, off, None, None, actor=SELLER, now=CREATED)
        room_id, empty_id = room.id, empty.id
    sweep(sessions, utc(FRIDAY, 9, 0))
    assert outbox_rows(sessions, SUMMARY) == []

    report = sweep(sessions, utc(MONDAY, 9, 0))
    rows = outbox_rows(sessions, SUMMARY)
    assert report.summaries == 1
    assert [(row.room_id, row.destination) for row in rows] == [(room_id, "C0DEAL")]
    assert sweep(sessions, utc(MONDAY, 9, 0)).summaries == 0
    # The empty room's schedule moves on too, so it is not looked at every sweep.
    assert room_state(sessions, empty_id)["next_summary_at"] == utc(date(2026, 12, 14), 9, 0)


def test_summary_after_downtime_sent_once(sessions):
    with sessions.begin() as session:
        room = make_room(session)
        add_task(session, room, "Share SOC 2 report", date(2027, 1, 10))
        room_id = room.id
    sweep(sessions, utc(FRIDAY, 9, 0))
    # Down for three weeks: three summaries were due, one is sent.
    sweep(sessions, utc(date(2026, 12, 24), 9, 0))
    assert len(outbox_rows(sessions, SUMMARY)) == 1
    assert room_state(sessions, room_id)["next_summary_at"] == utc(date(2026, 12, 28), 9, 0)


def test_summary_dst_fall_back_once(sessions):
    # 2026-11-01: New York's clocks go back from 02:00 EDT to 01:00 EST, so 01:30 happens twice.
    start = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
    with sessions.begin() as session:
        room = make_room(session, zone="America/New_York", now=start)
        add_task(session, room, "Share SOC 2 report", date(2027, 1, 10))
        reminder_settings.set_summary(session, room, SUNDAY, time(1, 30), actor=SELLER, now=start)
    # A sweep every 10 minutes from Sunday 00:00 EDT to 03:00 EST.
    sent_at = []
    for step in range(4 * 6 + 1):
        now = datetime(2026, 11, 1, 4, 0, tzinfo=UTC) + timedelta(minutes=10 * step)
        if sweep(sessions, now).summaries:
            sent_at.append(now)
    # The first 01:30 is 01:30 EDT, which is 05:30 UTC.
    assert sent_at == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


def test_summary_dst_spring_forward_once(sessions):
    # 2027-03-14: New York's clocks go forward from 02:00 EST to 03:00 EDT.
    start = datetime(2027, 3, 12, 12, 0, tzinfo=UTC)
    with sessions.begin() as session:
        room = make_room(session, zone="America/New_York", now=start)
        add_task(session, room, "Share SOC 2 report", date(2027, 4, 10))
        reminder_settings.set_summary(session, room, SUNDAY, time(2, 30), actor=SELLER, now=start)
    sent_at = []
    for step in range(4 * 6 + 1):
        now = datetime(2027, 3, 14, 5, 0, tzinfo=UTC) + timedelta(minutes=10 * step)
        if sweep(sessions, now).summaries:
            sent_at.append(now)
    # 03:30 EDT is 07:30 UTC.
    assert sent_at == [datetime(2027, 3, 14, 7, 30, tzinfo=UTC)]


def test_concurrent_planners_plan_once(sessions, database_backend):
    if database_backend != "postgresql":
        pytest.skip("SQLite has one writer at a time; concurrent planners need PostgreSQL")
    with sessions.begin() as session:
        for number in range(40):
            room = make_room(session, channel=f"C0ROOM{number:02d}")
            add_task(session, room, "Share SOC 2 report", FRIDAY)
            add_task(session, room, "Fill in questionnaire", MONDAY)
    now = utc(FRIDAY, 9, 0)
    start = threading.Barrier(2)
    reports = []

    def run() -> None:
        planner = Planner(sessions, batch_size=3)
        start.wait()
        reports.append(planner.sweep(now))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(report.nudges for report in reports) == 80
    assert len(nudge_log(sessions)) == 80
    rows = outbox_rows(sessions, NUDGE)
    assert len(rows) == 40
    assert len({row.room_id for row in rows}) == 40
