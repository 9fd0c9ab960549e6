"""The APScheduler wiring: two fixed jobs in UTC with explicit misfire settings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from reminders.scheduler import (
    DELIVER_JOB,
    PLAN_JOB,
    Intervals,
    ReminderWorker,
    RunningWorker,
    build_scheduler,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class FakePlanner:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[datetime] = []
        self.ran = threading.Event()

    def sweep(self, now: datetime):
        self.calls.append(now)
        self.ran.set()
        if self.fail:
            raise RuntimeError("database is down")
        return "planned"


class FakeDeliverer:
    def __init__(self) -> None:
        self.calls = 0
        self.ran = threading.Event()
        self.stop = threading.Event()

    def deliver_due(self, now: datetime | None = None):
        self.calls += 1
        self.ran.set()
        return "delivered"


def make_worker(planner=None, deliverer=None) -> ReminderWorker:
    return ReminderWorker(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        lambda: NOW,
        planner=planner or FakePlanner(),  # type: ignore[arg-type]
        deliverer=deliverer or FakeDeliverer(),  # type: ignore[arg-type]
    )


def test_two_jobs_with_explicit_settings():
    scheduler = build_scheduler(make_worker())
    assert str(scheduler.timezone) == "UTC"
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {PLAN_JOB, DELIVER_JOB}
    intervals = Intervals()
    expected = {
        PLAN_JOB: (intervals.plan_every, 50),
        DELIVER_JOB: (intervals.deliver_every, 10),
    }
    for job_id, (every, grace) in expected.items():
        job = jobs[job_id]
        assert job.trigger.interval == every
        assert job.misfire_grace_time == grace
        assert job.coalesce is True
        assert job.max_instances == 1


def test_plan_failure_is_logged_not_raised(caplog):
    planner = FakePlanner(fail=True)
    worker = make_worker(planner=planner)
    assert worker.plan() is None
    assert planner.calls == [NOW]
    assert "Failed to plan reminders" in caplog.text


def test_run_once_plans_then_delivers():
    planner, deliverer = FakePlanner(), FakeDeliverer()
    worker = make_worker(planner, deliverer)
    assert worker.run_once(NOW) == ("planned", "delivered")
    assert planner.calls == [NOW]
    assert deliverer.calls == 1


def test_started_scheduler_runs_both_jobs_and_stops():
    planner, deliverer = FakePlanner(), FakeDeliverer()
    worker = make_worker(planner, deliverer)
    slow = Intervals(plan_every=timedelta(hours=1), deliver_every=timedelta(hours=1))
    scheduler = build_scheduler(worker, slow)
    scheduler.start()
    running = RunningWorker(worker, scheduler)
    try:
        # Both jobs are due at start. The test waits on events and does not sleep.
        assert planner.ran.wait(timeout=10)
        assert deliverer.ran.wait(timeout=10)
    finally:
        running.stop()
    assert deliverer.stop.is_set()
    assert not scheduler.running
    running.stop()  # a second stop is harmless
