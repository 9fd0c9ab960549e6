"""`mapbot reminders run --now ... [--dry-run]`, and the reminder options of the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.cli import _parser, main
from bot.playground.standin import SlackStandIn
from storage.models import DealRoom
from storage.outbox_models import OutboxMessage
from storage.reminder_models import NudgeLog
from tests.reminders.planning_support import BUYER, CHANNEL, add_task, make_room

MONDAY_NINE = "2026-12-07T09:00:00Z"


@pytest.fixture
def plan_in_database(sessions) -> None:
    """A room with two nudges due on Monday 2026-12-07 and one task for later."""
    with sessions.begin() as session:
        room = make_room(session)
        add_task(session, room, "Share SOC 2 report", date(2026, 12, 7))
        add_task(session, room, "Fill in questionnaire", date(2026, 12, 8), owner=BUYER)
        add_task(session, room, "Go-live plan", date(2027, 1, 29))


def counts(sessions) -> tuple[int, int]:
    with sessions.begin() as session:
        outbox_rows = session.scalar(select(func.count()).select_from(OutboxMessage))
        logged = session.scalar(select(func.count()).select_from(NudgeLog))
        return outbox_rows, logged


def schedules(sessions) -> list[tuple]:
    with sessions.begin() as session:
        rows = session.execute(
            select(
                DealRoom.next_nudge_at, DealRoom.nudges_planned_through, DealRoom.next_summary_at
            )
        )
        return [tuple(row) for row in rows]


def test_dry_run_prints_and_writes_nothing(
    plan_in_database, sessions, database_url, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    before = schedules(sessions)

    assert main(["reminders", "run", "--now", MONDAY_NINE, "--dry-run"]) == 0

    output = capsys.readouterr().out
    assert output.startswith(
        "Dry run at 2026-12-07T09:00:00+00:00: 1 message(s) would be sent. "
        "Nothing was sent or written."
    )
    assert f"1. Nudge to channel {CHANNEL} (room 1, Deal in {CHANNEL})" in output
    assert "why: #1 Share SOC 2 report: due-day nudge for Mon Dec 7, due 2026-12-07" in output
    assert (
        "why: #2 Fill in questionnaire: heads-up, due the next working day for Mon Dec 7, "
        "due 2026-12-08" in output
    )
    assert "text: Task reminders for Deal in C0DEAL: #1 Share SOC 2 report (due today" in output
    assert "Go-live plan" not in output
    assert counts(sessions) == (0, 0)
    assert schedules(sessions) == before


def test_dry_run_shows_summary_due(plan_in_database, sessions, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    with sessions.begin() as session:
        room = session.scalars(select(DealRoom)).one()
        room.next_summary_at = room.created_at
    main(["reminders", "run", "--now", MONDAY_NINE, "--dry-run"])
    output = capsys.readouterr().out
    assert "2 message(s) would be sent" in output
    assert f"Weekly summary to channel {CHANNEL}" in output
    assert "why: weekly summary scheduled for 2026-11-27T12:00:00+00:00" in output


def test_dry_run_with_nothing_due(sessions, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["reminders", "run", "--now", MONDAY_NINE, "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(
        "Dry run at 2026-12-07T09:00:00+00:00: 0 message(s) would be sent."
    )


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_channel(CHANNEL, "deal-acme")
        yield standin


def test_run_sends_as_of_instant(
    plan_in_database, sessions, database_url, slack, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)

    assert main(["reminders", "run", "--now", MONDAY_NINE]) == 0

    output = capsys.readouterr().out
    assert output.startswith(
        "Reminder run at 2026-12-07T09:00:00+00:00: planned 2 nudge(s) and 0 summary(ies) "
        "in 1 message(s); sent 1"
    )
    [posted] = slack.messages(CHANNEL)
    assert posted["text"].startswith("Task reminders for Deal in C0DEAL")
    assert counts(sessions) == (1, 2)
    # The same instant again plans and sends nothing more.
    assert main(["reminders", "run", "--now", MONDAY_NINE]) == 0
    assert len(slack.messages(CHANNEL)) == 1


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-12-07T09:00:00", "has no UTC offset"),
        ("next monday", "is not an ISO 8601 date and time"),
    ],
)
def test_now_must_be_an_instant(value, problem, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["reminders", "run", "--now", value, "--dry-run"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert problem in error
    assert "2026-12-07T09:00:00Z" in error


def test_now_offset_is_converted_to_utc():
    args = _parser().parse_args(["reminders", "run", "--now", "2026-12-07T10:00:00+01:00"])
    assert args.now.isoformat() == "2026-12-07T09:00:00+00:00"


def test_run_has_no_scheduler_option():
    assert _parser().parse_args(["run"]).no_scheduler is False
    assert _parser().parse_args(["run", "--no-scheduler"]).no_scheduler is True
